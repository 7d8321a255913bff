"""Run saved eBay search responses through the same screen and upsert as a live refresh."""

import json
from difflib import get_close_matches

from django.core.management.base import BaseCommand, CommandError

from catalog.models import Gpu
from listings.ingest import IMPORT_BATCH_ITEMS, catalog_facts, ingest_items, new_run_id
from listings.models import RefreshSource
from listings.search_files import SearchFileError, count_items, iter_items


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
        for (
            path
        ) in files:  # every file read through once before any write: a bad one writes nothing
            try:
                count_items(path)
            except SearchFileError as exc:
                raise CommandError(f"{path}: {exc}") from exc
        report = ingest_items(
            gpu=card,
            items=(item for path in files for item in iter_items(path)),
            source=RefreshSource.IMPORT,
            run_id=new_run_id(),
            dry_run=dry_run,
            catalog=catalog_facts(priced=[card]),
            batch_size=IMPORT_BATCH_ITEMS,
            keep_outcomes=as_json,
        )
        if as_json:
            for outcome in report.outcomes:
                self.stdout.write(json.dumps(outcome.as_json(), ensure_ascii=False))
            return
        prefix = "Dry run, nothing written: " if dry_run else ""
        self.stdout.write(self.style.SUCCESS(prefix + report.summary()))
