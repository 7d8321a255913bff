from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from catalog.loader import load_catalog


class Command(BaseCommand):
    help = (
        "Load the catalog (cards, ML models, use cases, MLPerf results) from fixtures/*.json. "
        "Creates missing rows and fills fields that are blank in the database; fields an admin "
        "changed are kept. --overwrite makes every fixture row match the files again, replacing "
        "admin edits. Rows that exist only in the database are never deleted. Safe to re-run."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--overwrite",
            action="store_true",
            help="Replace every field from the fixtures, including admin edits.",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Report what would change; write nothing."
        )
        parser.add_argument(
            "--fixtures-dir", help="Folder with the fixture files (default: fixtures/)."
        )

    def handle(self, *args, overwrite, dry_run, fixtures_dir, **options):
        try:
            report = load_catalog(
                fixtures_dir=Path(fixtures_dir) if fixtures_dir else None,
                overwrite=overwrite,
                dry_run=dry_run,
            )
        except (OSError, ValueError, KeyError) as exc:
            raise CommandError(f"Could not load the catalog: {exc}") from exc
        for name, counts in report.counts.items():
            self.stdout.write(
                f"{name}: {counts.created} created, {counts.updated} updated, "
                f"{counts.unchanged} unchanged"
            )
        if dry_run:
            self.stdout.write(self.style.WARNING("Dry run: nothing was written."))
        elif report.changed:
            self.stdout.write(self.style.SUCCESS("Catalog updated."))
        else:
            self.stdout.write(self.style.SUCCESS("Catalog already up to date."))
