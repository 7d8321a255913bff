"""What a card is worth: stored results of metrics.ranking, rewritten on every recompute."""

from django.db import models
from django.db.models import F, Q

from catalog.models import PREVIEW, WEB_URL


class Scope(models.TextChoices):
    ALL = "all", "Any condition"
    NEW = "new"
    USED = "used", "Used or refurbished"


class CardPrice(models.Model):
    """A card's listings and going rate in one condition scope; no row means no listing in that
    scope. `listing_count` counts every listing the card's pages list (auctions and flagged ones
    too): the one count every page shows. The going rate (`headline_price`) and the "from" price
    (`lowest_price`, the cheapest) are made of the `priced_count` fixed-price, unflagged ones,
    and are blank when there is none."""

    gpu = models.ForeignKey("catalog.Gpu", on_delete=models.CASCADE, related_name="card_prices")
    scope = models.CharField(max_length=10, choices=Scope.choices)
    listing_count = models.PositiveIntegerField(help_text="Listings shown, auctions included.")
    priced_count = models.PositiveIntegerField(
        default=0, help_text="Fixed-price listings without a flag: what the going rate is made of."
    )
    headline_price = models.DecimalField(
        "going rate", max_digits=12, decimal_places=2, null=True, blank=True
    )
    lowest_price = models.DecimalField(
        "from price", max_digits=12, decimal_places=2, null=True, blank=True
    )
    dollars_per_fp32_tflops = models.FloatField(null=True, blank=True)
    dollars_per_fp16_tflops = models.FloatField(null=True, blank=True)
    dollars_per_fp8_tflops = models.FloatField(null=True, blank=True)
    dollars_per_int8_tops = models.FloatField(null=True, blank=True)
    dollars_per_tensor_cores = models.FloatField(null=True, blank=True)
    dollars_per_memory_gb = models.FloatField(null=True, blank=True)
    dollars_per_memory_bandwidth_gbs = models.FloatField(null=True, blank=True)
    dollars_per_l2_cache_mb = models.FloatField(null=True, blank=True)
    dollars_per_shared_memory_per_sm_kb = models.FloatField(null=True, blank=True)
    computed_at = models.DateTimeField()

    class Meta:
        ordering = ["gpu", "scope"]
        constraints = [
            models.UniqueConstraint(fields=["gpu", "scope"], name="card_price_unique_scope"),
            models.CheckConstraint(
                condition=(
                    Q(priced_count=0, headline_price__isnull=True, lowest_price__isnull=True)
                    | Q(priced_count__gte=1, headline_price__gt=0, lowest_price__gt=0)
                ),
                name="card_price_priced",
            ),
            models.CheckConstraint(
                condition=Q(listing_count__gte=1) & Q(listing_count__gte=F("priced_count")),
                name="card_price_has_listings",
            ),
        ]
        indexes = [models.Index(fields=["scope", "headline_price"], name="card_price_scope_price")]

    def __str__(self):
        return f"{self.gpu_id} {self.scope} ${self.headline_price} ({self.listing_count})"


class UseCaseScore(models.Model):
    """One card x one MLPerf model in one scope: its best valid result, per dollar.

    The best valid result is the highest figure of any round in the use case's metric (tokens/s
    for LLMs, else samples/s), a shipping run before a preview one; a run at a stricter accuracy
    target (99.9%) also meets the looser one (99%), so `run_benchmark` names what actually ran.
    `availability`, `notes`, `system_name` and `submitter` are the chosen result's, shown with
    its figure and in open data.
    """

    gpu = models.ForeignKey("catalog.Gpu", on_delete=models.CASCADE, related_name="use_case_scores")
    model = models.ForeignKey(
        "catalog.MlModel", on_delete=models.CASCADE, related_name="use_case_scores"
    )
    scope = models.CharField(max_length=10, choices=Scope.choices)
    samples_per_s = models.FloatField()
    tokens_per_s = models.FloatField(null=True, blank=True)
    round = models.CharField(max_length=40)
    system_name = models.CharField(max_length=300, blank=True)
    submitter = models.CharField(max_length=120, blank=True)
    source_url = models.URLField(max_length=500, blank=True, validators=[WEB_URL])
    run_benchmark = models.CharField(
        "MLPerf benchmark run", max_length=60, blank=True, help_text="e.g. gptj-99.9"
    )
    headline_price = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    samples_per_dollar = models.FloatField(null=True, blank=True)
    dollars_per_sample = models.FloatField(null=True, blank=True)
    tokens_per_dollar = models.FloatField(null=True, blank=True)
    dollars_per_token = models.FloatField("dollars per token/s", null=True, blank=True)
    availability = models.CharField(
        max_length=20, blank=True, help_text="The result's MLPerf status: available or preview."
    )
    notes = models.TextField(blank=True, help_text="The result's caveats, shown with its figure.")
    computed_at = models.DateTimeField()

    class Meta:
        ordering = ["model", "scope", "-samples_per_dollar"]
        constraints = [
            models.UniqueConstraint(
                fields=["gpu", "model", "scope"], name="use_case_score_unique_scope"
            ),
            models.CheckConstraint(
                condition=Q(samples_per_s__gt=0), name="use_case_score_samples_positive"
            ),
        ]
        indexes = [
            models.Index(fields=["model", "scope", "samples_per_dollar"], name="score_model_scope")
        ]

    def __str__(self):
        return f"{self.gpu_id} / {self.model_id} {self.scope}: {self.samples_per_dollar}"

    @property
    def is_preview(self) -> bool:
        return self.availability == PREVIEW


class PageGeneration(models.Model):
    """One row: the number every cached page's key is built with, bumped by every change.

    It lives in the database, not in a worker's memory, so a change made by any process (a cron
    refresh, an import, an admin edit, a recompute) reaches every web worker on its next request.
    """

    number = models.BigIntegerField()
    changed_at = models.DateTimeField()

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.CheckConstraint(condition=models.Q(pk=1), name="page_generation_one_row"),
        ]

    def __str__(self):
        return f"page generation {self.number} ({self.changed_at:%Y-%m-%d %H:%M:%S})"


class DailyPrice(models.Model):
    """A card's headline price in one condition scope on one UTC day: the price-history charts.

    Written by metrics.history (after every refresh, and by `manage.py record_price_history`);
    pages only read it. No row means no listing in that scope that day, or no refresh.
    """

    gpu = models.ForeignKey("catalog.Gpu", on_delete=models.CASCADE, related_name="daily_prices")
    scope = models.CharField(max_length=10, choices=Scope.choices)
    day = models.DateField()
    headline_price = models.DecimalField(max_digits=12, decimal_places=2)
    lowest_price = models.DecimalField(max_digits=12, decimal_places=2)
    listing_count = models.PositiveIntegerField()
    computed_at = models.DateTimeField()

    class Meta:
        ordering = ["gpu", "scope", "day"]
        constraints = [
            models.UniqueConstraint(fields=["gpu", "scope", "day"], name="daily_price_unique_day"),
            models.CheckConstraint(
                condition=Q(headline_price__gt=0) & Q(lowest_price__gt=0),
                name="daily_price_positive",
            ),
        ]
        indexes = [models.Index(fields=["scope", "day"], name="daily_price_scope_day")]

    def __str__(self):
        return f"{self.gpu_id} {self.scope} {self.day}: ${self.headline_price}"


class PageChange(models.Model):
    """A page whose content changed and that search engines have not yet been told about
    (IndexNow); the row goes once a submission of it succeeds."""

    url = models.URLField(max_length=500, unique=True)
    changed_at = models.DateTimeField()

    class Meta:
        ordering = ["id"]

    def __str__(self):
        return self.url


class Depreciation(models.Model):
    """A card's used-price trend, fitted to its last year of daily used headline prices: what
    its resale value after some months is worked out from. Rewritten with the price history
    (metrics.depreciation); pages only read it. No row: too little history to fit."""

    gpu = models.OneToOneField("catalog.Gpu", on_delete=models.CASCADE, related_name="depreciation")
    monthly_rate = models.FloatField(
        help_text="Share of its price the card lost per month on the fitted trend; negative "
        "when used prices rose."
    )
    points = models.PositiveIntegerField(help_text="Days with a used price in the fit.")
    first_day = models.DateField()
    last_day = models.DateField()
    computed_at = models.DateTimeField()

    class Meta:
        ordering = ["gpu"]

    def __str__(self):
        return f"{self.gpu_id}: {self.monthly_rate:.2%} a month ({self.first_day}..{self.last_day})"

    @property
    def days(self) -> int:
        return (self.last_day - self.first_day).days


class MonthlyPrice(models.Model):
    """A card's going rate in one condition scope over one calendar month: the average of its
    daily headline prices that month, with the lowest listing seen and the days recorded.

    Written with the daily prices (metrics.monthly, from DailyPrice); the market reports read it,
    so a report reads a few hundred rows instead of aggregating a year of daily ones, and each
    rate's earlier low with it, so a month's new lows read none of the months before."""

    gpu = models.ForeignKey("catalog.Gpu", on_delete=models.CASCADE, related_name="monthly_prices")
    scope = models.CharField(max_length=10, choices=Scope.choices)
    month = models.DateField(help_text="The month's first day.")
    headline_price = models.DecimalField(max_digits=12, decimal_places=2)
    lowest_price = models.DecimalField(max_digits=12, decimal_places=2)
    days = models.PositiveSmallIntegerField()
    listing_count = models.PositiveIntegerField(help_text="Listings on an average day.")
    earlier_low = models.DecimalField(
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        help_text="The lowest rate of the months before with a week of prices; empty: none.",
    )
    earlier_months = models.PositiveSmallIntegerField(
        default=0, help_text="The months before with a week of prices."
    )
    computed_at = models.DateTimeField()

    class Meta:
        ordering = ["gpu", "scope", "month"]
        constraints = [
            models.UniqueConstraint(
                fields=["gpu", "scope", "month"], name="monthly_price_unique_month"
            ),
            models.CheckConstraint(
                condition=Q(headline_price__gt=0) & Q(lowest_price__gt=0) & Q(days__gte=1),
                name="monthly_price_positive",
            ),
        ]
        indexes = [models.Index(fields=["month", "scope"], name="monthly_price_month")]

    def __str__(self):
        return f"{self.gpu_id} {self.scope} {self.month:%Y-%m}: ${self.headline_price}"


def _summary_card():
    """A card a month's summary names; deleting the card deletes the summary, which is then
    worked out where it is read."""
    return models.ForeignKey(
        "catalog.Gpu", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )


def _summary_money():
    return models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)


class MonthlySummary(models.Model):
    """What a month's market report says in its summary (metrics.reports.months.Summary): the
    counts, the biggest fall and rise, and the best LLM and FP16 value, so the reports index and
    feed read one row a month instead of working out every month's report; with the best card
    per budget band (MonthlyBandPick), which a month's report reads instead of the catalog's.

    Rewritten for every month with the monthly prices (metrics.monthly.record_monthly_prices,
    which every price-history run and catalog change goes through); a month without a row is
    worked out where it is read, so a fresh deploy shows the same reports, only slower."""

    month = models.DateField(unique=True, help_text="The month's first day.")
    llm_model = models.CharField(
        max_length=120, blank=True, help_text='The bands\' LLM, "Llama 3.1 8B at Q4_K_M".'
    )
    tracked = models.PositiveIntegerField(help_text="Cards with a used or new going rate.")
    compared = models.PositiveIntegerField(help_text="Used rates compared with the month before.")
    falling = models.PositiveIntegerField()
    rising = models.PositiveIntegerField()
    median_change = models.FloatField(null=True, blank=True)
    new_lows = models.PositiveIntegerField()
    # The biggest fall and rise: a card's rate in one condition and the month before's.
    fall_gpu = _summary_card()
    fall_condition = models.CharField(max_length=10, blank=True)
    fall_price = _summary_money()
    fall_previous = _summary_money()
    fall_days = models.PositiveSmallIntegerField(null=True, blank=True)
    rise_gpu = _summary_card()
    rise_condition = models.CharField(max_length=10, blank=True)
    rise_price = _summary_money()
    rise_previous = _summary_money()
    rise_days = models.PositiveSmallIntegerField(null=True, blank=True)
    # The best value of all budget bands: the card, its price and its figure.
    llm_gpu = _summary_card()
    llm_price = _summary_money()
    llm_value = models.FloatField(null=True, blank=True, help_text="Tokens/s per $1,000.")
    fp16_gpu = _summary_card()
    fp16_price = _summary_money()
    fp16_value = models.FloatField(null=True, blank=True, help_text="$ per FP16 TFLOPS.")
    computed_at = models.DateTimeField()

    class Meta:
        ordering = ["-month"]
        verbose_name_plural = "monthly summaries"

    def __str__(self):
        return f"summary {self.month:%Y-%m}: {self.tracked} cards"


class MonthlyBandPick(models.Model):
    """The best card of a budget band in a month, for local LLMs or FP16 compute
    (metrics.reports.bands.BandPick): a month's report reads its bands with its summary."""

    class Figure(models.TextChoices):
        LLM = "llm", "Tokens/s per $1,000"
        FP16 = "fp16", "$ per FP16 TFLOPS"

    summary = models.ForeignKey(MonthlySummary, on_delete=models.CASCADE, related_name="picks")
    figure = models.CharField(max_length=10, choices=Figure.choices)
    band_low = models.PositiveIntegerField(help_text="The band's floor in dollars.")
    gpu = models.ForeignKey("catalog.Gpu", on_delete=models.CASCADE, related_name="+")
    price = models.DecimalField(max_digits=12, decimal_places=2)
    value = models.FloatField()
    basis = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["summary", "figure", "band_low"]
        constraints = [
            models.UniqueConstraint(
                fields=["summary", "figure", "band_low"], name="monthly_band_pick_one_per_band"
            )
        ]

    def __str__(self):
        return f"{self.summary_id} {self.figure} from ${self.band_low}: {self.gpu_id}"


class PriceAlertQuerySet(models.QuerySet):
    def confirmed(self):
        return self.filter(confirmed_at__isnull=False)

    def unconfirmed(self):
        return self.filter(confirmed_at__isnull=True)


class PriceAlert(models.Model):
    """One address's price alert on one card: an email when a listing lands at or under the
    target price per card, in the chosen condition.

    The address is the only thing stored about a person, and it goes with the row when they
    unsubscribe. Nothing but the confirmation email is sent before `confirmed_at` (double
    opt-in); an alert left unconfirmed is deleted after a week (metrics.alerts.sending)."""

    email = models.EmailField(max_length=254)
    gpu = models.ForeignKey("catalog.Gpu", on_delete=models.CASCADE, related_name="price_alerts")
    condition = models.CharField(max_length=10, choices=Scope.choices, default=Scope.ALL)
    target_price = models.DecimalField(max_digits=12, decimal_places=2)
    created_at = models.DateTimeField()
    confirmation_sent_at = models.DateTimeField(
        null=True, blank=True, help_text="Empty until the confirmation email has gone out."
    )
    confirmed_at = models.DateTimeField(null=True, blank=True)
    last_sent_at = models.DateTimeField(
        null=True, blank=True, help_text="The latest alert email: at most one a day."
    )

    objects = PriceAlertQuerySet.as_manager()

    class Meta:
        ordering = ["email", "gpu"]
        constraints = [
            models.UniqueConstraint(fields=["email", "gpu"], name="price_alert_one_per_card"),
            models.CheckConstraint(
                condition=Q(target_price__gt=0), name="price_alert_target_positive"
            ),
        ]
        indexes = [
            models.Index(
                fields=["created_at"],
                name="price_alert_unconfirmed",
                condition=Q(confirmed_at__isnull=True),
            ),
        ]

    def __str__(self):
        return f"alert {self.pk} on {self.gpu_id} at {self.target_price} ({self.condition})"


class AlertDelivery(models.Model):
    """A listing an alert email has announced: no listing is announced to an alert twice."""

    alert = models.ForeignKey(PriceAlert, on_delete=models.CASCADE, related_name="deliveries")
    listing = models.ForeignKey("listings.Listing", on_delete=models.CASCADE, related_name="+")
    sent_at = models.DateTimeField()

    class Meta:
        ordering = ["alert", "listing"]
        verbose_name_plural = "alert deliveries"
        constraints = [
            models.UniqueConstraint(fields=["alert", "listing"], name="alert_delivery_once")
        ]

    def __str__(self):
        return f"alert {self.alert_id}: listing {self.listing_id}"


class AlertRequests(models.Model):
    """Alert requests counted for one client or one address in the current window, under a
    keyed hash of it (never the address itself): neither can flood anyone's inbox."""

    key = models.CharField(max_length=80, unique=True)
    count = models.PositiveIntegerField(default=0)
    window_ends_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["key"]
        verbose_name_plural = "alert requests"

    def __str__(self):
        return f"{self.key}: {self.count} until {self.window_ends_at:%Y-%m-%d %H:%M}"
