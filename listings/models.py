"""What is for sale: screened eBay listings, their price history and refresh runs."""

from decimal import Decimal

from django.db import models
from django.db.models import Q


class Verdict(models.TextChoices):
    KEEP = "keep"
    DROP = "drop"


class ConditionKind(models.TextChoices):
    NEW = "new"
    USED = "used"
    REFURBISHED = "refurbished"
    PARTS = "parts", "For parts"
    UNKNOWN = "unknown"


# How a listing is sold: buy it now, auction (bids, end time), best offer.
SALE_FORMAT_FIELDS = (
    "is_buy_now",
    "is_auction",
    "accepts_best_offer",
    "bid_count",
    "auction_ends_at",
)


class Flag(models.TextChoices):
    """What a buyer should know about a listing and the going rate leaves out (decided by the
    screen at ingest, listings/terms.py)."""

    ENGINEERING_SAMPLE = "engineering-sample", "engineering sample"
    LOW_FEEDBACK_SELLER = "low-feedback-seller", "seller with little feedback"


# Each flag's field on Listing.
FLAG_FIELDS = {
    Flag.ENGINEERING_SAMPLE: "engineering_sample",
    Flag.LOW_FEEDBACK_SELLER: "low_feedback_seller",
}
# A running auction's price is a bid, not a price one can pay.
BID_ONLY = Q(is_auction=True, is_buy_now=False)
UNFLAGGED = Q(**{name: False for name in FLAG_FIELDS.values()})


class ListingQuerySet(models.QuerySet):
    def active(self):
        return self.filter(is_active=True)

    def kept(self):
        return self.filter(verdict=Verdict.KEEP, excluded_by_admin=False)

    def visible(self):
        """What pages show: active, kept by the screen and not excluded by an admin."""
        return self.active().kept().filter(unit_price__isnull=False)

    def bids(self):
        """Auction-only listings, whose price is a current bid rather than a price one can pay."""
        return self.filter(is_auction=True, is_buy_now=False)

    def listed(self):
        """What a card's pages list and count: visible, with an eBay link to follow (a listing
        without one would show a button that 404s). Auctions and flagged listings included."""
        return self.visible().exclude(item_web_url="", affiliate_url="")

    def fixed_price(self):
        """Listings one can buy at their price: everything but running auctions."""
        return self.exclude(BID_ONLY)

    def unflagged(self):
        """Listings with no flag: no engineering sample, no seller without a track record."""
        return self.filter(UNFLAGGED)

    def priced_for_headline(self):
        """Listed, fixed-price and unflagged: what going rates, "from" prices and deals are
        made of (metrics.ranking counts one seller's several listings of a card once)."""
        return self.listed().fixed_price().unflagged()

    def alertable(self):
        """Listings a price alert may announce: listed, unflagged, bought now at a fixed price,
        with a landed price per card (shipping stated: a price that leaves shipping out is not
        landed), and real (no demo listing). The one rule price alerts follow."""
        return self.listed().unflagged().filter(is_buy_now=True, shipping_known=True, is_demo=False)


class Listing(models.Model):
    marketplace = models.CharField(max_length=20, default="EBAY_US")
    item_id = models.CharField(max_length=100)
    gpu = models.ForeignKey("catalog.Gpu", on_delete=models.CASCADE, related_name="listings")
    title = models.CharField(max_length=300)
    price = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    currency = models.CharField(max_length=3, blank=True)
    shipping_cost = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    shipping_known = models.BooleanField(
        default=False,
        help_text="False when shipping is calculated at checkout or not stated: the price per "
        "card is then the item price alone.",
    )
    condition = models.CharField(max_length=100, blank=True, help_text="eBay's condition text.")
    condition_id = models.CharField(max_length=10, blank=True)
    condition_kind = models.CharField(
        max_length=20, choices=ConditionKind.choices, default=ConditionKind.UNKNOWN
    )
    is_buy_now = models.BooleanField(default=False)
    is_auction = models.BooleanField(default=False)
    accepts_best_offer = models.BooleanField(default=False)
    bid_count = models.PositiveIntegerField(null=True, blank=True)
    auction_ends_at = models.DateTimeField(null=True, blank=True)
    quantity = models.PositiveIntegerField(default=1, help_text="Cards one purchase gives.")
    unit_price = models.DecimalField(
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        help_text="Landed price per card: (price + shipping) / quantity.",
    )
    seller_feedback_percent = models.FloatField(null=True, blank=True)
    seller_feedback_score = models.IntegerField(null=True, blank=True)
    seller_key = models.CharField(
        max_length=64,
        blank=True,
        help_text="A keyed hash (HMAC-SHA256 with SECRET_KEY) of the seller's eBay username, so "
        "one seller's listings of a card count once in the going rate; the username is never "
        "stored. Blank when eBay gave none or the seller's account was deleted.",
    )
    engineering_sample = models.BooleanField(
        default=False,
        help_text="An engineering or qualification sample (ES, QS, pre-production): listed with "
        "a warning, left out of the going rate and headline prices.",
    )
    low_feedback_seller = models.BooleanField(
        default=False,
        help_text="The seller's feedback score is under 10 or under 95% positive: listed with "
        "the flag, left out of the going rate and headline prices.",
    )
    item_location_country = models.CharField(max_length=2, blank=True)
    image_url = models.URLField(max_length=1000, blank=True)
    item_web_url = models.URLField(max_length=2000, blank=True)
    affiliate_url = models.URLField(max_length=2000, blank=True)
    item_created_at = models.DateTimeField(null=True, blank=True)
    raw = models.JSONField(default=dict, blank=True, help_text="The item summary as eBay sent it.")

    verdict = models.CharField(max_length=10, choices=Verdict.choices)
    reason = models.CharField(max_length=30, blank=True)
    screen_note = models.CharField(max_length=300, blank=True)
    excluded_by_admin = models.BooleanField(default=False)
    exclusion_reason = models.CharField(max_length=300, blank=True)

    first_seen_at = models.DateTimeField()
    last_seen_at = models.DateTimeField()
    is_active = models.BooleanField(default=True)
    archived_at = models.DateTimeField(null=True, blank=True)
    is_demo = models.BooleanField(default=False)

    objects = ListingQuerySet.as_manager()

    class Meta:
        ordering = ["unit_price", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["marketplace", "item_id"], name="listing_unique_marketplace_item"
            ),
            models.CheckConstraint(condition=Q(quantity__gte=1), name="listing_quantity_positive"),
            models.CheckConstraint(
                condition=Q(unit_price__isnull=True) | Q(unit_price__gt=0),
                name="listing_unit_price_positive",
            ),
        ]
        indexes = [
            models.Index(
                fields=["gpu", "unit_price"],
                name="listing_visible_by_price",
                condition=Q(is_active=True, verdict="keep", excluded_by_admin=False),
            ),
            models.Index(fields=["gpu", "is_active", "verdict"], name="listing_gpu_state"),
            models.Index(fields=["last_seen_at"], name="listing_last_seen"),
            # Every page asks whether demo listings are shown; without demo rows this is empty.
            models.Index(fields=["gpu"], name="listing_demo", condition=Q(is_demo=True)),
            # eBay's account deletion notices remove one seller's key from every listing.
            models.Index(fields=["seller_key"], name="listing_seller", condition=~Q(seller_key="")),
        ]

    def __str__(self):
        return f"{self.title[:60]} ({self.item_id})"

    @property
    def buy_url(self) -> str:
        return self.affiliate_url or self.item_web_url

    @property
    def total_price(self) -> Decimal | None:
        if self.price is None:
            return None
        return self.price + (self.shipping_cost or Decimal("0"))

    @property
    def price_is_bid(self) -> bool:
        """An auction without Buy It Now: its price is the current bid, kept out of headlines."""
        return self.is_auction and not self.is_buy_now

    @property
    def flags(self) -> list[str]:
        """The listing's flags by name ("engineering-sample"), in Flag order."""
        return [flag.value for flag, name in FLAG_FIELDS.items() if getattr(self, name)]

    @property
    def going_rate_exclusion(self) -> str:
        """Why the listing is not in the going rate ("engineering sample"), or "" when it is."""
        for flag, name in FLAG_FIELDS.items():
            if getattr(self, name):
                return flag.label
        return "current bid (auction)" if self.price_is_bid else ""


class PriceHistory(models.Model):
    """Append-only: one row each time a listing's observed price changes."""

    listing = models.ForeignKey(Listing, on_delete=models.CASCADE, related_name="price_history")
    observed_at = models.DateTimeField()
    price = models.DecimalField(max_digits=12, decimal_places=2, null=True)
    currency = models.CharField(max_length=3, blank=True)
    shipping_cost = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    quantity = models.PositiveIntegerField(default=1)
    unit_price = models.DecimalField(max_digits=12, decimal_places=2, null=True)
    bid_count = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["listing", "observed_at"]
        verbose_name_plural = "price history"
        indexes = [models.Index(fields=["listing", "observed_at"], name="history_listing_time")]

    def __str__(self):
        return f"{self.listing_id} {self.price} {self.currency} @ {self.observed_at:%Y-%m-%d %H:%M}"


class RefreshSource(models.TextChoices):
    LIVE = "live", "Live eBay search"
    IMPORT = "import", "Imported file"
    DEMO = "demo", "Demo data"


class RefreshStatus(models.TextChoices):
    RUNNING = "running"
    OK = "ok", "OK"
    FAILED = "failed"
    SKIPPED = "skipped"


class RefreshRunQuerySet(models.QuerySet):
    def succeeded(self):
        return self.filter(status=RefreshStatus.OK)


class RefreshRun(models.Model):
    """One card's refresh within one run of refresh_listings or import_listings."""

    run_id = models.CharField(max_length=40, db_index=True)
    gpu = models.ForeignKey(
        "catalog.Gpu", on_delete=models.CASCADE, related_name="refresh_runs", null=True
    )
    source = models.CharField(
        max_length=10, choices=RefreshSource.choices, default=RefreshSource.LIVE
    )
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(
        max_length=10, choices=RefreshStatus.choices, default=RefreshStatus.RUNNING
    )
    seen = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    archived = models.PositiveIntegerField(default=0)
    rejected = models.PositiveIntegerField(default=0)
    malformed = models.PositiveIntegerField(
        default=0, help_text="Items rejected one by one because they could not be read."
    )
    zero_answer = models.BooleanField(
        default=False, help_text="eBay said total 0 on a well-formed page with no items."
    )
    api_calls = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)

    objects = RefreshRunQuerySet.as_manager()

    class Meta:
        ordering = ["-started_at"]
        indexes = [
            models.Index(fields=["gpu", "status", "-finished_at"], name="refresh_gpu_status"),
            models.Index(fields=["status", "-finished_at"], name="refresh_status_finished"),
        ]

    def __str__(self):
        return f"{self.gpu} {self.status} @ {self.started_at:%Y-%m-%d %H:%M}"


class ApiUsage(models.Model):
    """eBay Browse API calls made on one UTC day, shared by every process through the database."""

    day = models.DateField(unique=True)
    calls = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-day"]
        verbose_name_plural = "API usage"

    def __str__(self):
        return f"{self.day}: {self.calls} calls"


class RefreshLock(models.Model):
    """A named lock row: at most one holder at a time, taken over once it has expired."""

    name = models.CharField(max_length=60, unique=True)
    owner = models.CharField(max_length=40)
    acquired_at = models.DateTimeField()
    expires_at = models.DateTimeField()

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return f"{self.name} held by {self.owner} until {self.expires_at:%Y-%m-%d %H:%M}"


class CardViews(models.Model):
    """Shop page views of one card on one UTC day: a bare counter, nothing about the visitor."""

    gpu = models.ForeignKey("catalog.Gpu", on_delete=models.CASCADE, related_name="daily_views")
    day = models.DateField()
    views = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-day", "gpu"]
        verbose_name_plural = "card views"
        constraints = [
            models.UniqueConstraint(fields=["gpu", "day"], name="card_views_unique_gpu_day")
        ]
        indexes = [models.Index(fields=["day"], name="card_views_day")]

    def __str__(self):
        return f"{self.gpu_id} {self.day}: {self.views} views"


class SignInFailures(models.Model):
    """Failed admin sign-ins for one client address and username (a keyed hash of both) in the
    current window.

    Kept in the database, not the page cache: every worker counts the same attempts, and no amount
    of anonymous traffic can evict the count.
    """

    key = models.CharField(max_length=80, unique=True)
    failures = models.PositiveIntegerField(default=0)
    window_ends_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["key"]
        verbose_name_plural = "sign-in failures"

    def __str__(self):
        return f"{self.key}: {self.failures} until {self.window_ends_at:%Y-%m-%d %H:%M}"
