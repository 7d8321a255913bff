from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from catalog.build import build, default_reference_dir, fixture_text
from catalog.loader import default_fixtures_dir


class Command(BaseCommand):
    help = (
        "Rewrite fixtures/gpus.json and fixtures/benchmark_results.json from the shared reference "
        "CSVs and the hand-edited fixtures/catalog_data.json, fixtures/systems.json and "
        "fixtures/ml_models.json. Files "
        "whose content would not change are left alone."
    )

    def add_arguments(self, parser):
        parser.add_argument("--reference", help="Folder with the reference CSVs.")
        parser.add_argument("--fixtures-dir", help="Folder with the fixture files.")
        parser.add_argument(
            "--dry-run", action="store_true", help="Report what would change; write nothing."
        )

    def handle(self, *args, reference, fixtures_dir, dry_run, **options):
        fixtures = Path(fixtures_dir) if fixtures_dir else default_fixtures_dir()
        reference = Path(reference) if reference else default_reference_dir()
        try:
            built, skipped = build(reference=reference, fixtures=fixtures)
        except (OSError, ValueError, KeyError) as exc:
            raise CommandError(f"Could not build the catalog: {exc}") from exc
        for line in skipped:
            self.stdout.write(f"  {line}")
        if skipped:
            self.stdout.write(f"benchmark_results.json: skipped {len(skipped)} row(s) (above)")
        for name, records in built.items():
            path, text = fixtures / name, fixture_text(records)
            changed = not path.is_file() or path.read_text(encoding="utf-8") != text
            if changed and not dry_run:
                path.write_text(text, encoding="utf-8")
            state = ("would change" if dry_run else "rewritten") if changed else "unchanged"
            self.stdout.write(f"{name}: {len(records)} records, {state}")
        self.stdout.write(self.style.SUCCESS("Dry run: nothing written." if dry_run else "Done."))
