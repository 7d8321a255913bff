from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError

from metrics.history import record_price_history, today_utc


class Command(BaseCommand):
    help = (
        "Store today's headline prices per card and condition as today's price history (a "
        "refresh does this too); with --days N, first rebuild the last N days from the listings' "
        "stored price history, replacing the stored days."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--days", type=int, default=0, help="Also rebuild this many past days (up to 3650)."
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Compute and report, store nothing."
        )

    def handle(self, *args, days=0, dry_run=False, **options):
        if not 0 <= days <= 3650:
            raise CommandError("--days must be between 0 and 3650.")
        since = today_utc() - timedelta(days=days) if days else None
        report = record_price_history(since=since, dry_run=dry_run)
        verb = "Would store" if dry_run else "Stored"
        self.stdout.write(
            self.style.SUCCESS(
                f"{verb} {report.daily_prices} daily prices over {report.days} day(s) from "
                f"{report.history_rows} price-history rows."
            )
        )
