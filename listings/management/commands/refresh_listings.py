"""Refresh listings from the live eBay Browse API."""

from datetime import timedelta

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from catalog.models import Gpu
from listings.ebay import has_credentials
from listings.refresh import refresh_listings, stale_gpus
from listings.refresh_lock import LockHeld
from listings.schedule import plan_refresh


class Command(BaseCommand):
    help = (
        "Search eBay for every catalog card (or the named ones) and store the screened results: "
        "creates and updates listings, archives those no longer found, writes price history and "
        "one refresh run per card. --dry-run calls eBay but writes nothing. --schedule refreshes "
        "the cards that are due under today's call budget and prints each card's age and planned "
        "calls. Cards are fetched by --workers threads at once. A run always ends within "
        "REFRESH_RUN_DEADLINE_SECONDS (default 1500 s) plus one call's deadline "
        "(EBAY_CALL_DEADLINE_SECONDS + EBAY_TIMEOUT_SECONDS) plus writing what was fetched: "
        "under 30 minutes with the defaults; cards not reached by then are reported as skipped."
    )

    def add_arguments(self, parser):
        parser.add_argument("--gpu", action="append", default=[], metavar="SLUG")
        parser.add_argument("--stale-only", action="store_true", help="skip recently refreshed")
        parser.add_argument("--max-age-hours", type=float, default=6.0, help="for --stale-only")
        parser.add_argument(
            "--schedule", action="store_true", help="only the cards due now, by views and budget"
        )
        parser.add_argument("--dry-run", action="store_true", help="fetch and screen only")
        parser.add_argument(
            "--workers",
            type=int,
            default=None,
            help=f"cards fetched at once (default REFRESH_WORKERS={settings.REFRESH_WORKERS})",
        )

    def handle(self, *args, gpu, stale_only, max_age_hours, schedule, dry_run, workers, **options):
        if not has_credentials():
            raise CommandError(
                "EBAY_CLIENT_ID and EBAY_CLIENT_SECRET are not set: no live refresh."
            )
        if workers is not None and workers < 1:
            raise CommandError("--workers must be at least 1.")
        unknown = sorted(
            set(gpu) - set(Gpu.objects.filter(slug__in=gpu).values_list("slug", flat=True))
        )
        if unknown:
            raise CommandError(f"Unknown card slug(s): {', '.join(unknown)}")
        cards = stale_gpus(max_age=timedelta(hours=max_age_hours)) if stale_only else Gpu.objects
        cards = list((cards.filter(slug__in=gpu) if gpu else cards.all()).order_by("slug"))
        for card in (c for c in cards if c.is_laptop):
            self.stdout.write(
                self.style.WARNING(
                    f"{card.slug}: skipped, the {card.label} is a laptop GPU (sold only inside "
                    "laptops): no listings are fetched for it"
                )
            )
        cards = [c for c in cards if not c.is_laptop]
        if schedule:
            plan = plan_refresh(gpus=cards)
            for line in plan.lines():
                self.stdout.write(line)
            cards = plan.due
        try:
            summary = refresh_listings(gpus=cards, dry_run=dry_run, workers=workers)
        except LockHeld as exc:
            raise CommandError(f"Not refreshing: {exc}.") from exc
        for report in summary.reports:
            style = self.style.SUCCESS if report.ok else self.style.ERROR
            self.stdout.write(style(report.summary()))
        for slug in summary.skipped:
            self.stdout.write(self.style.WARNING(f"{slug}: skipped, {summary.skip_reason}"))
        problems = [r.summary() for r in summary.failed]
        if summary.stopped_early:
            problems.append(f"Refresh stopped early: {summary.stopped_early}.")
        if problems:
            raise CommandError("\n".join(problems))
        self.stdout.write(f"{len(summary.reports)} cards refreshed, {summary.api_calls} API calls.")
