from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from catalog.cloud_offers import COLUMNS, OfferFileError, import_offers


class Command(BaseCommand):
    help = (
        "Import cloud GPU offers from a CSV file with the columns "
        f"{', '.join(COLUMNS)} (instance and note optional). Creates offers and updates those "
        "with the same card, provider, kind and instance; offers not in the file are kept. "
        "A row that cannot be stored is reported with its line and reason and skipped; a file "
        "that cannot be read as offers writes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="The CSV file (UTF-8, one offer a row).")
        parser.add_argument(
            "--dry-run", action="store_true", help="Report what would change; write nothing."
        )

    def handle(self, *args, path, dry_run, **options):
        try:
            report = import_offers(path=Path(path), dry_run=dry_run)
        except OfferFileError as exc:
            raise CommandError(f"Nothing imported: {exc}") from exc
        for row in report.rejected:
            self.stderr.write(self.style.ERROR(f"Rejected {row}"))
        if report.rejected and not (report.created or report.updated or report.unchanged):
            raise CommandError("Nothing imported: every row was rejected.")
        self.stdout.write(
            f"cloud offers: {report.created} created, {report.updated} updated, "
            f"{report.unchanged} unchanged, {len(report.rejected)} rejected"
        )
        if dry_run:
            self.stdout.write(self.style.WARNING("Dry run: nothing was written."))
        elif report.rejected:
            self.stdout.write(self.style.WARNING("Imported the valid rows; fix the others."))
        else:
            self.stdout.write(self.style.SUCCESS("Cloud offers imported."))
