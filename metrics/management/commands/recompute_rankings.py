from django.core.management.base import BaseCommand

from metrics.indexnow import queue_changed_pages, submit_changed_pages
from metrics.ranking import recompute_rankings


class Command(BaseCommand):
    help = (
        "Recompute stored headline prices, $/spec and MLPerf samples/s per dollar from visible "
        "listings and the catalog, replacing the stored rankings, and invalidate cached pages. "
        "With INDEXNOW_KEY set, the pages are then submitted to search engines."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="Compute and report, store nothing."
        )

    def handle(self, *args, dry_run=False, **options):
        report = recompute_rankings(dry_run=dry_run)
        verb = "Would store" if dry_run else "Stored"
        self.stdout.write(
            self.style.SUCCESS(
                f"{verb} {report.card_prices} card prices and {report.use_case_scores} use-case "
                f"scores from {report.listings} listings of {report.cards} cards."
            )
        )
        if not dry_run and queue_changed_pages(gpu_ids=None):
            self.stdout.write(submit_changed_pages().summary())
