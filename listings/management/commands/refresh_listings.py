"""Refresh listings from the live eBay Browse API."""

from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError

from catalog.models import Gpu
from listings.ebay import has_credentials
from listings.refresh import LockHeld, refresh_listings, stale_gpus


class Command(BaseCommand):
    help = (
        "Search eBay for every catalog card (or the named ones) and store the screened results: "
        "creates and updates listings, archives those no longer found, writes price history and "
        "one refresh run per card. --dry-run calls eBay but writes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("--gpu", action="append", default=[], metavar="SLUG")
        parser.add_argument("--stale-only", action="store_true", help="skip recently refreshed")
        parser.add_argument("--max-age-hours", type=float, default=6.0, help="for --stale-only")
        parser.add_argument("--dry-run", action="store_true", help="fetch and screen only")

    def handle(self, *args, gpu, stale_only, max_age_hours, dry_run, **options):
        if not has_credentials():
            raise CommandError(
                "EBAY_CLIENT_ID and EBAY_CLIENT_SECRET are not set: no live refresh."
            )
        unknown = sorted(
            set(gpu) - set(Gpu.objects.filter(slug__in=gpu).values_list("slug", flat=True))
        )
        if unknown:
            raise CommandError(f"Unknown card slug(s): {', '.join(unknown)}")
        cards = stale_gpus(max_age=timedelta(hours=max_age_hours)) if stale_only else Gpu.objects
        cards = cards.filter(slug__in=gpu) if gpu else cards.all()
        try:
            summary = refresh_listings(gpus=list(cards.order_by("slug")), dry_run=dry_run)
        except LockHeld as exc:
            raise CommandError(f"Not refreshing: {exc}.") from exc
        for report in summary.reports:
            style = self.style.SUCCESS if report.ok else self.style.ERROR
            self.stdout.write(style(report.summary()))
        for slug in summary.skipped:
            self.stdout.write(self.style.WARNING(f"{slug}: skipped, daily eBay call budget spent"))
        if summary.failed:
            raise CommandError("\n".join(r.summary() for r in summary.failed))
        self.stdout.write(f"{len(summary.reports)} cards refreshed, {summary.api_calls} API calls.")
