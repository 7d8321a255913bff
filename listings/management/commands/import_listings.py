"""Run saved eBay search responses through the same screen and upsert as a live refresh."""

import json
from difflib import get_close_matches

from django.core.management.base import BaseCommand, CommandError

from catalog.models import Gpu
from listings.ingest import catalog_facts, ingest_items, new_run_id
from listings.models import RefreshSource


def read_items(path: str) -> list[dict]:
    """Item summaries from a JSON array or a search page envelope; CommandError when malformed."""
    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
    except (OSError, ValueError) as exc:
        raise CommandError(f"{path}: not a readable JSON file ({exc})") from exc
    items = data.get("itemSummaries", []) if isinstance(data, dict) else data
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise CommandError(f"{path}: expected a JSON array of item summaries or a search page")
    return items


class Command(BaseCommand):
    help = (
        "Screen saved eBay search responses for one card and store them as listings: creates, "
        "updates and archives that card's listings and writes price history. "
        "--dry-run writes nothing."
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
        items = [item for path in files for item in read_items(path)]  # all read before any write
        report = ingest_items(
            gpu=card,
            items=items,
            source=RefreshSource.IMPORT,
            run_id=new_run_id(),
            dry_run=dry_run,
            catalog=catalog_facts(priced=[card]),
        )
        if as_json:
            for outcome in report.outcomes:
                self.stdout.write(json.dumps(outcome.as_json(), ensure_ascii=False))
            return
        prefix = "Dry run, nothing written: " if dry_run else ""
        self.stdout.write(self.style.SUCCESS(prefix + report.summary()))
