"""Shop pages: a card's listings priced per spec, and the /go/ hop that records affiliate clicks."""

import json
import uuid
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from urllib.parse import urlsplit

from django import forms
from django.conf import settings
from django.core.paginator import Paginator
from django.db.models import Case, Count, F, FloatField, Max, Min, Value, When
from django.db.models.functions import Cast
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.template.defaultfilters import pluralize
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.timesince import timeuntil
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from catalog.models import Gpu
from listings import analytics
from listings.links import buy_url
from listings.market import GoingRates, deal_percent, deal_text, going_rates
from listings.models import ConditionKind, Listing, RefreshRun
from listings.schedule import counts_views
from listings.templatetags.shop import money, money_per, number
from shopagent.cache import cached_page

PER_PAGE = 24
# The one image host the Content-Security-Policy allows (shopagent/security.py): a photo from
# anywhere else would be blocked, so it gets the placeholder instead.
PHOTO_ORIGIN = "https://i.ebayimg.com/"
# Stands in for a listing id while the /go/ path is reversed once per page.
PK_MARK = 987654321
TENTH, THOUSANDTH = Decimal("0.1"), Decimal("0.001")
# Catalog text and lists a shop page never shows, left undecoded.
UNSHOWN_GPU_FIELDS = (
    "supported_precisions",
    "summary",
    "spec_notes",
    "reference_urls",
    "part_numbers",
    "aliases",
    "ebay_category_ids",
    "admin_edited_fields",
)
# What a listing card shows (listing_card here and in templatetags/shop.py); the stored eBay item
# and the screen's notes stay unloaded.
CARD_FIELDS = (
    "gpu_id",
    "title",
    "price",
    "currency",
    "shipping_cost",
    "shipping_known",
    "condition_kind",
    "is_buy_now",
    "is_auction",
    "accepts_best_offer",
    "bid_count",
    "auction_ends_at",
    "quantity",
    "unit_price",
    "seller_feedback_percent",
    "seller_feedback_score",
    "item_location_country",
    "image_url",
)


@dataclass(frozen=True)
class Spec:
    key: str
    field: str
    unit: str
    units: str
    name: str
    explanation: str


SPECS = (
    Spec("fp32", "fp32_tflops", "FP32 TFLOPS", "FP32 TFLOPS", "$/FP32", "shader FP32, non-tensor"),
    Spec("fp16", "fp16_tflops", "FP16 TFLOPS", "FP16 TFLOPS", "$/FP16", "dense FP16 tensor"),
    Spec("fp8", "fp8_tflops", "FP8 TFLOPS", "FP8 TFLOPS", "$/FP8", "dense FP8 tensor"),
    Spec("int8", "int8_tops", "INT8 TOPS", "INT8 TOPS", "$/INT8", "dense INT8 tensor"),
    Spec("tensor", "tensor_cores", "tensor core", "tensor cores", "$/tensor core", "matrix units"),
    Spec("memory", "memory_gb", "GB", "GB", "$/GB", "memory: how large a model fits"),
    Spec("bandwidth", "memory_bandwidth_gbs", "GB/s", "GB/s", "$/GB/s", "memory bandwidth"),
)

BUYING_OPTIONS = [
    ("", "Any"),
    ("buy_now", "Buy it now"),
    ("auction", "Auction"),
    ("best_offer", "Accepts offers"),
]
BUYING_FILTERS = {
    "buy_now": "is_buy_now",
    "auction": "is_auction",
    "best_offer": "accepts_best_offer",
}
SHOWN_CONDITIONS = [c for c in ConditionKind.choices if c[0] != ConditionKind.PARTS]


@dataclass(frozen=True)
class SpecPill:
    spec: Spec
    value: float
    dollars_per: Decimal
    text: str
    tip: str = ""  # what the figure means, shown when the listing's $/spec pills are opened


@dataclass(frozen=True)
class ListingCard:
    """A listing with every figure already formatted: templates only place the strings."""

    listing: Listing
    pills: list[SpecPill]
    go_url: str
    photo: str  # the listing's image URL, or "" for the placeholder
    price: str
    price_note: str
    shipping: str
    details: list[str]
    seller: str
    deal: str = ""
    deal_side: str = ""  # "below" or "above" the going rate, for the badge's colour


class ShopFilterForm(forms.Form):
    """The shop page's GET form: a field that fails validation is dropped, the rest still apply."""

    sort = forms.ChoiceField(required=False)
    condition = forms.MultipleChoiceField(
        required=False, choices=SHOWN_CONDITIONS, widget=forms.CheckboxSelectMultiple
    )
    buying = forms.ChoiceField(required=False, choices=BUYING_OPTIONS, label="Buying option")
    country = forms.ChoiceField(required=False, label="Ships from")
    price_min = forms.DecimalField(required=False, min_value=0, max_digits=12, decimal_places=2)
    price_max = forms.DecimalField(required=False, min_value=0, max_digits=12, decimal_places=2)
    memory_min = forms.FloatField(required=False, min_value=0, max_value=10_000)
    memory_max = forms.FloatField(required=False, min_value=0, max_value=10_000)
    feedback_min = forms.FloatField(
        required=False, min_value=0, max_value=100, label="Seller feedback at least (%)"
    )

    def __init__(self, *args, specs: list[Spec], countries: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["sort"].choices = [
            ("price", "Price per card: low to high"),
            ("deal", "Best deals: furthest below the going rate"),
            ("-price", "Price per card: high to low"),
            ("newest", "Newest listings first"),
        ] + [(s.key, f"$ per {s.unit}: lowest first") for s in specs]
        self.fields["country"].choices = [("", "Anywhere")] + [(c, c) for c in countries]

    def clean(self):
        data = super().clean()
        for low, high in (("price_min", "price_max"), ("memory_min", "memory_max")):
            if data.get(low) is not None and data.get(high) is not None and data[low] > data[high]:
                self.add_error(high, "is below the minimum")
        return data

    def applied(self) -> dict:
        """The valid, non-empty values; invalid ones are reported by ignored_notes()."""
        return {
            name: value
            for name, value in self.cleaned_data.items()
            if name not in self.errors and value not in (None, "", [])
        }

    def ignored_notes(self) -> list[str]:
        return [
            f"Ignored {self.fields[name].label or name.replace('_', ' ')}: {' '.join(errors)}"
            for name, errors in self.errors.items()
            if name in self.fields
        ]


def filter_listings(queryset, *, gpu: Gpu, applied: dict, rates: GoingRates | None = None):
    """Apply the shop form's valid values and its sort to a card's visible listings."""
    lookups = {}
    if applied.get("condition"):
        lookups["condition_kind__in"] = applied["condition"]
    if applied.get("buying"):
        lookups[BUYING_FILTERS[applied["buying"]]] = True
    if applied.get("country"):
        lookups["item_location_country"] = applied["country"]
    if "price_min" in applied:
        lookups["unit_price__gte"] = applied["price_min"]
    if "price_max" in applied:
        lookups["unit_price__lte"] = applied["price_max"]
    if "feedback_min" in applied:
        lookups["seller_feedback_percent__gte"] = applied["feedback_min"]
    queryset = queryset.filter(**lookups)
    # Memory is the card's, so a range that excludes it leaves nothing to show.
    memory = gpu.memory_gb
    if ("memory_min" in applied or "memory_max" in applied) and (
        memory is None
        or memory < applied.get("memory_min", 0)
        or memory > applied.get("memory_max", float("inf"))
    ):
        queryset = queryset.none()
    sort = applied.get("sort", "price")
    if sort == "-price":
        return queryset.order_by("-unit_price", "id")
    if sort == "newest":
        return queryset.order_by("-first_seen_at", "-id")
    if sort == "deal" and rates is not None and rates.known:
        return by_deal(queryset, rates=rates)
    # Every listing here is the same card, so $/spec orders exactly as price per card does.
    return queryset.order_by("unit_price", "id")


def by_deal(queryset, *, rates: GoingRates):
    """Biggest discount on the going rate for the listing's condition first; auctions and
    listings without a going rate last, cheapest first."""
    rate_of = {
        "new": rates.new,
        "used": rates.used,
        "refurbished": rates.used,
    }
    whens = [When(is_auction=True, is_buy_now=False, then=Value(None, FloatField()))]
    whens += [
        When(condition_kind=kind, then=Value(1 / float(rate)))
        for kind, rate in rate_of.items()
        if rate
    ]
    inverse = Case(
        *whens,
        default=Value(1 / float(rates.any) if rates.any else None, FloatField()),
        output_field=FloatField(),
    )
    ratio = Cast("unit_price", FloatField()) * inverse
    return queryset.annotate(deal_ratio=ratio).order_by(
        F("deal_ratio").asc(nulls_last=True), "unit_price", "id"
    )


def card_specs(gpu: Gpu) -> list[Spec]:
    return [s for s in SPECS if (getattr(gpu, s.field) or 0) > 0]


def spec_divisors(gpu: Gpu, specs: list[Spec]) -> list[tuple[Spec, float, Decimal]]:
    """Each spec with the card's value as a float and as the Decimal prices are divided by."""
    divisors = []
    for spec in specs:
        value = float(getattr(gpu, spec.field))
        divisors.append((spec, value, Decimal(str(value))))
    return divisors


def spec_pills(
    listing: Listing,
    specs: list[Spec],
    *,
    divisors: list | None = None,
    tips: dict[str, str] | None = None,
) -> list[SpecPill]:
    """$/spec pills; `divisors` from spec_divisors() and `tips` from spec_tips() are worked out
    once per page."""
    tips = tips if tips is not None else spec_tips(listing.gpu, specs)
    pills = []
    for spec, value, divisor in divisors or spec_divisors(listing.gpu, specs):
        per = (listing.unit_price / divisor).quantize(THOUSANDTH)
        text = f"{money_per(per, listing.currency)}/{spec.unit}"
        pills.append(
            SpecPill(spec=spec, value=value, dollars_per=per, text=text, tip=tips[spec.key])
        )
    return pills


def feedback_percent(value: float) -> str:
    """floatformat(value, "-1") for a percentage: 100, 99.5 (one decimal, half up, unless whole)."""
    exact = Decimal(repr(value))
    if exact == exact.to_integral_value():
        return str(int(exact))
    return str(exact.quantize(TENTH, rounding=ROUND_HALF_UP))


def spec_tips(gpu: Gpu, specs: list[Spec]) -> dict[str, str]:
    """What each $/spec figure means for this card, by spec key."""
    return {
        spec.key: (
            f"{spec.name}: a listing's price per card divided by the {gpu.label}'s "
            f"{number(getattr(gpu, spec.field))} {spec.units} ({spec.explanation}). "
            "Lower is better."
        )
        for spec in specs
    }


def go_path(listing: Listing, *, around: tuple[str, str] | None = None) -> str:
    """reverse("listings:go", args=[listing.pk]); `around` from go_path_parts() saves the lookup."""
    head, tail = around or go_path_parts()
    return f"{head}{listing.pk}{tail}"


def go_path_parts() -> tuple[str, str]:
    """The /go/ path on either side of the listing id, reversed once for a page of listings."""
    head, tail = reverse("listings:go", args=[PK_MARK]).split(str(PK_MARK))
    return head, tail


def listing_card(
    listing: Listing,
    specs: list[Spec],
    *,
    go_around: tuple[str, str] | None = None,
    divisors: list | None = None,
    tips: dict[str, str] | None = None,
    rates: GoingRates | None = None,
) -> ListingCard:
    """A listing's card: price, shipping, detail pills, $/spec pills and seller, formatted once."""
    currency = listing.currency
    notes = []
    if listing.price_is_bid:
        notes.append("current bid")
    if listing.quantity > 1:
        notes.append(f"each, lot of {listing.quantity} for {money(listing.price, currency)}")
    price_note = ", ".join(notes)
    if not listing.shipping_known or listing.shipping_cost is None:
        shipping = "Shipping not included: calculated at checkout or not stated"
    elif listing.shipping_cost == 0:
        shipping = "Free shipping"
    else:
        shipping = f"Includes {money(listing.shipping_cost, currency)} shipping"
    deal, deal_side = listing_deal(listing, rates=rates or GoingRates())
    details = []
    if listing.is_auction:
        bids = listing.bid_count or 0
        auction = f"Auction · {bids} bid{pluralize(bids)}"
        if listing.auction_ends_at:
            auction += f" · ends in {timeuntil(listing.auction_ends_at)}"
        details.append(auction)
    if listing.is_buy_now:
        details.append("Buy it now")
    if listing.accepts_best_offer:
        details.append("Accepts offers")
    if listing.gpu.memory_gb:
        details.append(f"{number(listing.gpu.memory_gb)} GB")
    if listing.item_location_country:
        details.append(f"Ships from {listing.item_location_country}")
    if listing.seller_feedback_percent is None:
        seller = "Seller feedback not shown"
    else:
        seller = f"Seller {feedback_percent(listing.seller_feedback_percent)}% positive"
        if listing.seller_feedback_score is not None:
            seller += f" ({listing.seller_feedback_score:,})"
    return ListingCard(
        listing=listing,
        pills=spec_pills(listing, specs, divisors=divisors, tips=tips),
        go_url=go_path(listing, around=go_around),
        photo=listing.image_url if listing.image_url.startswith(PHOTO_ORIGIN) else "",
        price=money(listing.unit_price, currency),
        price_note=price_note,
        shipping=shipping,
        details=details,
        seller=seller,
        deal=deal,
        deal_side=deal_side,
    )


def listing_deal(listing: Listing, *, rates: GoingRates) -> tuple[str, str]:
    """The listing's difference from the going rate for its condition, and which side it is on."""
    if listing.price_is_bid:
        return "Auction: a current bid is not compared with the going rate", ""
    rate, name = rates.for_condition(listing.condition_kind)
    if rate is None or listing.unit_price is None:
        return "", ""
    percent = deal_percent(unit_price=listing.unit_price, going_rate=rate)
    side = "below" if percent < 0 else "above" if percent > 0 else "at"
    return deal_text(percent=percent, rate_name=name), side


def summarize_listings(visible) -> tuple[dict, list[str]]:
    """The lowest and highest price, count and currency of a card's listings, and the countries
    they ship from, sorted: one query grouped by country."""
    groups = list(
        visible.order_by()
        .values("item_location_country")
        .annotate(
            low=Min("unit_price"),
            high=Max("unit_price"),
            count=Count("id"),
            currency=Max("currency"),
        )
    )
    summary = {
        "low": min((g["low"] for g in groups), default=None),
        "high": max((g["high"] for g in groups), default=None),
        "count": sum(g["count"] for g in groups),
        "currency": max((g["currency"] for g in groups), default=None),
    }
    countries = sorted(g["item_location_country"] for g in groups if g["item_location_country"])
    return summary, countries


def last_checked_at(*, gpu: Gpu):
    """When this card's prices were last checked: its own latest successful refresh, or None."""
    runs = RefreshRun.objects.succeeded().filter(gpu=gpu, finished_at__isnull=False)
    return runs.order_by("-finished_at").values_list("finished_at", flat=True).first()


@require_safe
@counts_views
@cached_page
def shop_gpu(request, slug):
    """One card's listings as cards, with filters, sorts, $/spec pills and a price summary."""
    gpu = get_object_or_404(Gpu.objects.defer(*UNSHOWN_GPU_FIELDS), slug=slug)
    # No usable eBay link, nothing to buy: such a listing would show a button that 404s.
    visible = Listing.objects.visible().filter(gpu=gpu).exclude(item_web_url="", affiliate_url="")
    summary, countries = summarize_listings(visible)
    specs = card_specs(gpu)
    form = ShopFilterForm(request.GET, specs=specs, countries=countries)
    form.is_valid()
    applied = form.applied()
    notes = form.ignored_notes()
    rates = going_rates(gpu_id=gpu.pk)
    listings = filter_listings(visible, gpu=gpu, applied=applied, rates=rates).only(*CARD_FIELDS)
    # Sorting alone keeps every listing, so the summary's count is the paginator's.
    count = summary["count"] if applied.keys() <= {"sort"} else None
    page, page_note = paginate(listings, request, count=count)
    notes += [page_note] if page_note else []
    if applied.get("sort") == "deal" and not rates.known:
        notes.append("No going rate for this card yet: sorted by price per card instead.")
    for listing in page.object_list:
        listing.gpu = gpu
    go_around, divisors, tips = go_path_parts(), spec_divisors(gpu, specs), spec_tips(gpu, specs)
    context = {
        "gpu": gpu,
        "form": form,
        "applied": applied,
        "notes": notes,
        "page": page,
        "cards": [
            listing_card(x, specs, go_around=go_around, divisors=divisors, tips=tips, rates=rates)
            for x in page.object_list
        ],
        "rates": rates,
        "summary": summary,
        "checked_at": last_checked_at(gpu=gpu),
        "specs": specs,
        "is_variant": bool(request.GET),
    }
    context.update(shop_seo(gpu=gpu, summary=context["summary"], page=page))
    context["crumbs"] = [
        ("Home", reverse("metrics:home")),
        ("Shop", reverse("metrics:shop-index")),
        (gpu.label, gpu_shop_path(gpu)),
    ]
    return render(request, "listings/gpu_shop.html", context)


def gpu_shop_path(gpu: Gpu) -> str:
    return reverse("listings:shop-gpu", kwargs={"slug": gpu.slug})


def _first_fitting(candidates: list[str], limit: int) -> str:
    return next((c for c in candidates if len(c) <= limit), candidates[-1][: limit - 1] + "…")


def shop_seo(*, gpu: Gpu, summary: dict, page) -> dict:
    """A title of at most 70 characters and a description of 50-160, unique per card and page."""
    label, count = gpu.label, summary["count"]
    low = money_per(summary["low"], summary["currency"]) if count else ""
    suffix = f" (page {page.number})" if page.number > 1 else ""
    titles = [
        f"{label} price for machine learning: {count} eBay deals from {low}{suffix} | ShopAgent",
        f"{label} prices: {count} eBay listings from {low}{suffix} | ShopAgent",
        f"{label} prices from {low}{suffix} | ShopAgent",
        f"{label} prices{suffix} | ShopAgent",
        f"{label} prices{suffix}",
    ]
    if not count:
        titles = [
            f"{label} price for machine learning: eBay listings{suffix} | ShopAgent",
            f"{label} prices on eBay{suffix} | ShopAgent",
            f"{label} prices{suffix}",
        ]
    memory = f" {number(gpu.memory_gb)} GB" if gpu.memory_gb else ""
    if count:
        high = money_per(summary["high"], summary["currency"])
        lead = f"{count} live eBay listings for the {label}{memory}, {low} to {high} per card"
    else:
        lead = f"Live eBay listings for the {label}{memory}, none right now"
    descriptions = [
        f"{lead}, with dollars per TFLOPS, per GB of memory and per GB/s of bandwidth.",
        f"{lead}, with dollars per spec.",
        lead[:159] + ".",
    ]
    return {
        "seo_title": _first_fitting(titles, 70),
        "seo_description": _first_fitting(descriptions, 160),
    }


def paginate(queryset, request, *, count: int | None = None):
    """The requested page: past the end gives the last page, junk the first with a note.

    `count`, when the caller already knows how many rows the queryset has, saves a COUNT query.
    """
    paginator = Paginator(queryset, PER_PAGE)
    if count is not None:
        paginator.count = count
    raw = request.GET.get("page", "1")
    try:
        number = int(raw)
    except ValueError:
        return paginator.page(1), "Ignored page: not a whole number."
    if number < 1:
        return paginator.page(1), "Ignored page: pages start at 1."
    if number > paginator.num_pages:
        return paginator.page(paginator.num_pages), None
    return paginator.page(number), None


def source_page(request) -> str:
    """The same-site path the click came from: `from` if it is one, else the Referer's path."""
    allowed = {request.get_host(), urlsplit(settings.SITE_URL).netloc}
    candidate = request.GET.get("from", "")
    if candidate.startswith("/") and url_has_allowed_host_and_scheme(candidate, allowed):
        return candidate[:500]
    referer = request.headers.get("Referer", "")
    if referer and url_has_allowed_host_and_scheme(referer, allowed):
        return urlsplit(referer).path[:500]
    return ""


def visitor_id(request) -> str:
    """PostHog's browser id from its cookie, so the click joins the visit; else a fresh id."""
    cookie = request.COOKIES.get(f"ph_{settings.POSTHOG_API_KEY}_posthog", "")
    try:
        distinct_id = json.loads(cookie).get("distinct_id") if cookie else None
    except (ValueError, AttributeError):
        distinct_id = None
    return str(distinct_id)[:200] if distinct_id else f"anon-{uuid.uuid4()}"


@never_cache
@require_safe
def go(request, pk):
    """Record an affiliate click and send the buyer to the listing's stored eBay URL.

    A HEAD (link checkers, previews) is answered the same way but is not a click."""
    listing = get_object_or_404(Listing.objects.active().select_related("gpu"), pk=pk)
    target = buy_url(affiliate_url=listing.affiliate_url, item_web_url=listing.item_web_url)
    if not target:
        raise Http404("This listing has no eBay link.")
    if request.method == "HEAD":
        return HttpResponseRedirect(target)
    analytics.capture_event(
        event="affiliate_click",
        distinct_id=visitor_id(request),
        properties={
            "listing_id": listing.pk,
            "item_id": listing.item_id,
            "gpu": listing.gpu.slug,
            "price": str(listing.price) if listing.price is not None else None,
            "unit_price": str(listing.unit_price) if listing.unit_price is not None else None,
            "currency": listing.currency,
            "source_page": source_page(request),
            "affiliate": target == listing.affiliate_url,
        },
    )
    return HttpResponseRedirect(target)
