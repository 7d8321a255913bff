"""Run saved eBay search responses through the same screen and upsert as a live refresh."""

import json
from difflib import get_close_matches

from django.core.management.base import BaseCommand, CommandError

from catalog.models import Gpu
from listings.imports import ImportFailed, import_files
from listings.ingest import IMPORT_BATCH_ITEMS


class Command(BaseCommand):
    help = (
        "Screen saved eBay search responses for one card and store them as listings: creates, "
        "updates and archives that card's listings and writes price history, a batch of "
        f"{IMPORT_BATCH_ITEMS} items per transaction. --dry-run writes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+", metavar="FILE")
        parser.add_argument("--gpu", required=True, metavar="SLUG")
        parser.add_argument("--dry-run", action="store_true", help="screen only; write nothing")
        parser.add_argument(
            "--json", action="store_true", dest="as_json", help="print one JSON line per item"
        )

    def handle(self, *args, files, gpu, dry_run, as_json, **options):
        card = Gpu.objects.filter(slug=gpu).first()
        if card is None:
            slugs = list(Gpu.objects.values_list("slug", flat=True))
            close = get_close_matches(gpu, slugs, n=3, cutoff=0.5)
            hint = f"; did you mean {', '.join(close)}?" if close else ""
            raise CommandError(f"Unknown card slug {gpu!r}{hint}")
        try:
            report = import_files(
                gpu=card,
                paths=files,
                dry_run=dry_run,
                keep_outcomes=as_json,
                batch_size=IMPORT_BATCH_ITEMS,
            )
        except ImportFailed as exc:
            raise CommandError(str(exc)) from exc
        if as_json:
            for outcome in report.outcomes:
                self.stdout.write(json.dumps(outcome.as_json(), ensure_ascii=False))
            return
        prefix = "Dry run, nothing written: " if dry_run else ""
        self.stdout.write(self.style.SUCCESS(prefix + report.summary()))
