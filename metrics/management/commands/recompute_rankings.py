from django.core.management.base import BaseCommand

from metrics.ranking import recompute_rankings


class Command(BaseCommand):
    help = (
        "Recompute stored headline prices, $/spec and MLPerf samples/s per dollar from visible "
        "listings and the catalog, replacing the stored rankings, and invalidate cached pages."
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
