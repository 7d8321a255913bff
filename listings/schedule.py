"""Where the day's eBay call budget goes: cards buyers look at, cards with many listings and cards
whose prices move are refreshed more often; every card at least once a day.

Page views are counted without keeping anything about the visitor: a per-card, per-day counter in
the cache, added to a `CardViews` row (UPDATE ... SET views = views + n) on the first view of the
day and then every FLUSH_EVERY views, so a page hit costs one cache increment and rarely one write.
Requests that say they are robots are not counted, and one client counts at most once per card per
VIEWER_WINDOW: a marker keyed by a keyed hash of its address (shopagent.clients), never the address.

The plan (run hourly from cron with `refresh_listings --schedule`):
- each card's weight is 1 + views per day / 10 + active listings / 200 + price changes per day / 20
  (last 7 days), so a card nobody views still counts for its market;
- every card gets one refresh a day; the rest of the day's budget (SCHEDULE_BUDGET_SHARE of
  EBAY_DAILY_CALL_BUDGET, the remainder kept for hand-run refreshes) buys extra refreshes in
  proportion to weight, at most one an hour and at most MAX_CARD_SHARE of the day's calls per card
  (twice an even split in a catalog too small for that); what a capped card cannot use goes to
  the others, in proportion to their weights;
- a card is due when its last successful refresh is older than 24 h / its refreshes per day;
  due cards are taken most overdue first while today's remaining budget covers their calls.
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import wraps

from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError, IntegrityError, transaction
from django.db.models import Count, F, Max, OuterRef, Q, Subquery, Sum
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from catalog.models import Gpu
from listings.budget import calls_today
from listings.models import CardViews, Listing, PriceHistory, RefreshRun, RefreshSource
from listings.models import RefreshStatus as Status
from shopagent.clients import client_digest

logger = logging.getLogger(__name__)

FLUSH_EVERY = 10
VIEWER_WINDOW = timedelta(hours=1)  # one client's views of one card count once in this long
MAX_CARD_SHARE = 0.1  # of the schedule's daily calls, for any one card
VIEW_WINDOW = timedelta(days=7)
SCHEDULE_BUDGET_SHARE = 0.9
MAX_REFRESHES_PER_DAY = 24  # cron runs hourly
PAGE_LIMIT = 200
ROBOT = re.compile(r"bot|crawl|spider|slurp|preview|headless|curl|wget|python|http", re.IGNORECASE)


# --- counting views ----------------------------------------------------------------------------


def is_robot(request: HttpRequest) -> bool:
    """Whether the request says it is a program rather than a person (cheap, by User-Agent)."""
    agent = request.headers.get("User-Agent", "")
    return not agent or bool(ROBOT.search(agent))


def record_view(*, slug: str, day: date | None = None, viewer: str = "") -> None:
    """Count one page view of a card, unless `viewer` (a keyed hash identifying the client) was
    counted for it within VIEWER_WINDOW; every FLUSH_EVERY views reach the database at once."""
    seconds = int(VIEWER_WINDOW.total_seconds())
    if viewer and not cache.add(f"listings:viewer:{viewer}", 1, timeout=seconds):
        return  # seen within the window (or the cache is unavailable: nothing is counted)
    day = day or timezone.now().date()
    key = f"listings:views:{day.isoformat()}:{slug}"
    cache.add(key, 0, timeout=2 * 24 * 3600)
    try:
        count = cache.incr(key)
    except ValueError:  # evicted between add and incr, or the cache is unavailable
        return
    if count == 1:
        _add_views(slug=slug, day=day, views=1)
    elif count % FLUSH_EVERY == 0:
        _add_views(
            slug=slug, day=day, views=FLUSH_EVERY - 1 if count == FLUSH_EVERY else FLUSH_EVERY
        )


def _add_views(*, slug: str, day: date, views: int) -> None:
    try:
        rows = CardViews.objects.filter(gpu__slug=slug, day=day)
        if rows.update(views=F("views") + views):
            return
        gpu_id = Gpu.objects.filter(slug=slug).values_list("pk", flat=True).first()
        if gpu_id is None:
            return
        try:
            with transaction.atomic():
                CardViews.objects.create(gpu_id=gpu_id, day=day, views=views)
        except IntegrityError:
            rows.update(views=F("views") + views)
    except DatabaseError:
        # A busy database must never cost a buyer the page; a few views go uncounted.
        logger.warning("Could not record %d views of %s", views, slug, exc_info=True)


def counts_views(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Count successful GET views of a card page (cached or not) by its `slug`, robots excluded,
    once per client and card within VIEWER_WINDOW."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        if request.method == "GET" and response.status_code == 200 and not is_robot(request):
            slug = kwargs["slug"]
            record_view(slug=slug, viewer=client_digest(request, "card-view", slug))
        return response

    return wrapper


# --- planning ----------------------------------------------------------------------------------


@dataclass
class CardPlan:
    """One card's place in the day's schedule."""

    gpu: Gpu
    last_refreshed: datetime | None
    views_per_day: float
    listings: int
    price_changes_per_day: float
    calls_per_refresh: int
    refreshes_per_day: float = 1.0
    due: bool = False
    planned_calls: int = 0
    waits_for_budget: bool = False  # due by its interval, but today's budget cannot cover it

    @property
    def weight(self) -> float:
        return 1 + self.views_per_day / 10 + self.listings / 200 + self.price_changes_per_day / 20

    @property
    def interval(self) -> timedelta:
        return timedelta(hours=24) / self.refreshes_per_day

    def age(self, now: datetime) -> timedelta | None:
        return None if self.last_refreshed is None else now - self.last_refreshed

    def overdue(self, now: datetime) -> float:
        age = self.age(now)
        return math.inf if age is None else age / self.interval


@dataclass
class RefreshPlan:
    """The cards due now, and for every card its age and the calls planned for it."""

    now: datetime
    budget_left: int
    cards: list[CardPlan] = field(default_factory=list)

    @property
    def due(self) -> list[Gpu]:
        return [c.gpu for c in self.cards if c.due]

    def lines(self) -> list[str]:
        out = []
        for card in sorted(self.cards, key=lambda c: c.gpu.slug):
            age = card.age(self.now)
            age_text = "never refreshed" if age is None else f"age {_duration(age)}"
            if card.due:
                plan = f"{card.planned_calls} calls planned now"
            elif card.waits_for_budget:
                plan = "due, but today's eBay call budget is spent"
            else:
                plan = "not due"
            out.append(
                f"{card.gpu.slug}: {age_text}, {card.views_per_day:.1f} views/day, "
                f"{card.listings} listings, {card.price_changes_per_day:.1f} price changes/day, "
                f"every {_duration(card.interval)} (~{card.calls_per_refresh} calls each): {plan}"
            )
        planned = sum(c.planned_calls for c in self.cards)
        summary = (
            f"schedule: {len(self.due)} of {len(self.cards)} cards due, {planned} calls planned, "
            f"{self.budget_left} left in today's budget"
        )
        waiting = sum(c.waits_for_budget for c in self.cards)
        if waiting:
            cards = "1 due card waits" if waiting == 1 else f"{waiting} due cards wait"
            summary += f"; budget spent: {cards} for tomorrow's budget (UTC)"
        out.append(summary)
        return out


def plan_refresh(*, gpus: Sequence[Gpu], now: datetime | None = None) -> RefreshPlan:
    """Decide which cards to refresh now so the day's budget follows views, listings and prices."""
    now = now or timezone.now()
    daily_budget = int(settings.EBAY_DAILY_CALL_BUDGET * SCHEDULE_BUDGET_SHARE)
    used = calls_today()
    plan = RefreshPlan(now=now, budget_left=max(0, settings.EBAY_DAILY_CALL_BUDGET - used))
    plan.cards = _card_facts(gpus=gpus, now=now)
    if not plan.cards:
        return plan
    _share_out(cards=plan.cards, daily_budget=daily_budget)
    # Most overdue first, while today's budget (less a share kept for hand-run refreshes) lasts.
    left = max(0, min(plan.budget_left, daily_budget - used))
    for card in sorted(plan.cards, key=lambda c: c.overdue(now), reverse=True):
        if card.overdue(now) < 1:
            break
        if card.calls_per_refresh > left:
            card.waits_for_budget = True
            continue
        card.due, card.planned_calls = True, card.calls_per_refresh
        left -= card.calls_per_refresh
    return plan


def _share_out(*, cards: list[CardPlan], daily_budget: int) -> None:
    """Each card's refreshes a day: one, plus the spare calls in proportion to weight, none past
    the card's cap (hourly, and its share of the day); what capped cards cannot take goes to the
    others (water-filling), so the whole budget is planned unless every card is at its cap."""
    share_cap = max(MAX_CARD_SHARE * daily_budget, 2 * daily_budget / len(cards))
    room = {  # extra calls a day each card may still take
        id(c): max(
            0.0,
            min(MAX_REFRESHES_PER_DAY * c.calls_per_refresh, share_cap) - c.calls_per_refresh,
        )
        for c in cards
    }
    extra = dict.fromkeys(room, 0.0)
    spare = max(0.0, daily_budget - sum(c.calls_per_refresh for c in cards))  # one refresh each
    uncapped = [c for c in cards if room[id(c)] > 0]
    while uncapped and spare > 1e-9:
        weight = sum(c.weight for c in uncapped)
        capped = [c for c in uncapped if spare * c.weight / weight >= room[id(c)]]
        if not capped:
            for card in uncapped:
                extra[id(card)] = spare * card.weight / weight
            break
        for card in capped:
            extra[id(card)], spare = room[id(card)], spare - room[id(card)]
        done = {id(c) for c in capped}
        uncapped = [c for c in uncapped if id(c) not in done]
    for card in cards:
        card.refreshes_per_day = 1 + extra[id(card)] / card.calls_per_refresh


def _card_facts(*, gpus: Sequence[Gpu], now: datetime) -> list[CardPlan]:
    ids = [g.pk for g in gpus]
    since = now - VIEW_WINDOW
    days = VIEW_WINDOW / timedelta(days=1)
    ok_live = RefreshRun.objects.filter(
        gpu=OuterRef("pk"), status=Status.OK, source=RefreshSource.LIVE
    ).order_by("-finished_at")
    facts = {
        row["pk"]: row
        for row in Gpu.objects.filter(pk__in=ids)
        .annotate(
            last_refreshed=Max(
                "refresh_runs__finished_at",
                filter=Q(refresh_runs__status=Status.OK, refresh_runs__source=RefreshSource.LIVE),
            ),
            last_calls=Subquery(ok_live.values("api_calls")[:1]),
        )
        .values("pk", "last_refreshed", "last_calls")
    }
    views = dict(
        CardViews.objects.filter(gpu_id__in=ids, day__gte=since.date())
        .values("gpu_id")
        .annotate(n=Sum("views"))
        .values_list("gpu_id", "n")
    )
    listings = dict(
        Listing.objects.visible()
        .filter(gpu_id__in=ids)
        .values("gpu_id")
        .annotate(n=Count("pk"))
        .values_list("gpu_id", "n")
    )
    changes = dict(
        PriceHistory.objects.filter(listing__gpu_id__in=ids, observed_at__gte=since)
        .values("listing__gpu_id")
        .annotate(n=Count("pk"))
        .values_list("listing__gpu_id", "n")
    )
    cards = []
    for gpu in gpus:
        row = facts.get(gpu.pk, {})
        count = listings.get(gpu.pk, 0)
        # Calls a refresh takes: as many as the last one did, else a page per 200 listings.
        estimate = row.get("last_calls") or math.ceil(max(1, count) / PAGE_LIMIT)
        cards.append(
            CardPlan(
                gpu=gpu,
                last_refreshed=row.get("last_refreshed"),
                views_per_day=views.get(gpu.pk, 0) / days,
                listings=count,
                price_changes_per_day=changes.get(gpu.pk, 0) / days,
                calls_per_refresh=max(1, estimate),
            )
        )
    return cards


def _duration(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    if minutes < 120:
        return f"{minutes} min"
    hours = minutes / 60
    return f"{hours:.0f} h" if hours < 48 else f"{hours / 24:.0f} d"
