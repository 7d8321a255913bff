"""Store deterministic demo listings for every catalog card."""

from django.core.management.base import BaseCommand

from catalog.models import Gpu
from listings.demo import seed_demo_listings
from listings.demo_history import seed_demo_history
from listings.ebay import has_credentials


class Command(BaseCommand):
    help = (
        "Create or update demo listings (marked as demo, shown with a notice) for every catalog "
        "card, through the same screen as live data, with a year of weekly past prices for the "
        "price-history charts. --skip-if-live does nothing when eBay credentials are set."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--skip-if-live", action="store_true", help="do nothing when eBay keys are configured"
        )

    def handle(self, *args, skip_if_live, **options):
        if skip_if_live and has_credentials():
            self.stdout.write("eBay credentials are set: no demo listings (run refresh_listings).")
            return
        reports = seed_demo_listings(gpus=list(Gpu.objects.order_by("slug")))
        if not reports:
            self.stdout.write(self.style.WARNING("No catalog cards: run load_catalog first."))
            return
        history = seed_demo_history(gpus=list(Gpu.objects.order_by("slug")))
        kept = sum(r.seen - r.rejected for r in reports)
        rejected = sum(r.rejected for r in reports)
        created = sum(r.created for r in reports)
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo listings for {len(reports)} cards: {created} new, {kept} kept, "
                f"{rejected} rejected by the screen; {history} past price observations."
            )
        )
