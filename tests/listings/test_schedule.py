"""Where the day's call budget goes: page views counted per card and day, and the schedule."""

from io import StringIO

import pytest
from django.core.cache import caches
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from listings.models import CardViews, RefreshRun
from listings.schedule import FLUSH_EVERY, MAX_CARD_SHARE, SCHEDULE_BUDGET_SHARE, plan_refresh
from tests.factories import make_gpu, make_listing, make_refresh

pytestmark = pytest.mark.django_db

BROWSER = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/131.0 Safari/537.36"


def views_of(gpu):
    return sum(CardViews.objects.filter(gpu=gpu).values_list("views", flat=True))


def visit(gpu, times, *, agent=BROWSER, address="198.51.100.1", **query):
    client = Client(HTTP_USER_AGENT=agent, REMOTE_ADDR=address)
    url = reverse("metrics:shop-gpu", kwargs={"slug": gpu.slug})
    return [client.get(url, query).status_code for _ in range(times)]


def test_shop_page_views_are_counted_cached_or_not(django_assert_max_num_queries):
    gpu = make_gpu()
    make_listing(gpu)

    assert visit(gpu, 1) == [200]
    assert views_of(gpu) == 1
    with django_assert_max_num_queries(3 * FLUSH_EVERY):  # a write at the 10th view
        for n in range(2, 2 * FLUSH_EVERY + 1):
            assert visit(gpu, 1, address=f"198.51.100.{n}") == [200]
    assert views_of(gpu) == 2 * FLUSH_EVERY


def test_one_client_counts_once_per_card_an_hour_however_often_it_loads_the_page():
    gpu, other = make_gpu(), make_gpu(slug="nvidia-a40")

    visit(gpu, 3 * FLUSH_EVERY, address="203.0.113.5")  # a script with a browser User-Agent
    visit(other, 2, address="203.0.113.5")
    for n in range(FLUSH_EVERY - 1):
        visit(gpu, 2, address=f"198.51.100.{n}")

    assert views_of(gpu) == FLUSH_EVERY  # one view per client: 10, written at the 10th
    assert views_of(other) == 1


def test_behind_a_trusted_proxy_each_client_counts_on_its_own(settings):
    settings.TRUSTED_PROXIES = 1
    gpu = make_gpu()
    for n in range(FLUSH_EVERY):
        client = Client(HTTP_USER_AGENT=BROWSER, REMOTE_ADDR="10.0.0.2")
        for forged in range(3):  # what a client writes on the left of the header changes nothing
            client.get(
                reverse("metrics:shop-gpu", kwargs={"slug": gpu.slug}),
                HTTP_X_FORWARDED_FOR=f"192.0.2.{forged}, 198.51.100.{n}",
            )

    assert views_of(gpu) == FLUSH_EVERY


def cache_keys():
    backend = caches["default"]
    if hasattr(backend, "_cache") and isinstance(backend._cache, dict):  # local memory
        return [str(key) for key in backend._cache]
    return [key.decode() for key in backend._cache.get_client().keys("*")]  # Redis


def test_no_visitor_address_is_kept_in_clear():
    gpu = make_gpu()

    visit(gpu, 2, address="203.0.113.77")

    assert views_of(gpu) == 1
    assert not [key for key in cache_keys() if "203.0.113.77" in key]


def test_robots_and_missing_pages_are_not_counted():
    gpu = make_gpu()
    visit(gpu, 3, agent="Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)")
    visit(gpu, 2, agent="")
    Client(HTTP_USER_AGENT=BROWSER).get("/shop/no-such-card/")

    assert not CardViews.objects.exists()


def card(slug, *, hours_ago, views_per_day=0):
    gpu = make_gpu(slug=slug, label=slug.upper())
    if hours_ago is not None:
        make_refresh(gpu, minutes_ago=hours_ago * 60)
    if views_per_day:
        CardViews.objects.create(gpu=gpu, day=timezone.now().date(), views=views_per_day * 7)
    return gpu


def test_a_card_buyers_look_at_is_refreshed_more_often(settings):
    settings.EBAY_DAILY_CALL_BUDGET = 40
    popular = card("popular", hours_ago=3, views_per_day=500)
    quiet = card("quiet", hours_ago=3)
    other = card("other", hours_ago=3)

    plan = plan_refresh(gpus=[popular, quiet, other])

    assert plan.due == [popular]
    by_slug = {c.gpu.slug: c for c in plan.cards}
    assert by_slug["popular"].refreshes_per_day > 3 * by_slug["quiet"].refreshes_per_day


def test_every_card_is_refreshed_at_least_once_a_day(settings):
    settings.EBAY_DAILY_CALL_BUDGET = 40
    popular = card("popular", hours_ago=0, views_per_day=500)
    stale = card("stale", hours_ago=25)
    never = card("never", hours_ago=None)

    plan = plan_refresh(gpus=[popular, stale, never])

    assert sorted(g.slug for g in plan.due) == ["never", "stale"]


def test_more_listings_mean_more_refreshes(settings):
    settings.EBAY_DAILY_CALL_BUDGET = 40
    busy, bare = card("busy", hours_ago=3), card("bare", hours_ago=3)
    for n in range(300):
        make_listing(busy, item_id=f"v1|9{n:08d}|0")

    by_slug = {c.gpu.slug: c for c in plan_refresh(gpus=[busy, bare]).cards}

    assert by_slug["busy"].refreshes_per_day > by_slug["bare"].refreshes_per_day


def test_the_schedule_never_plans_past_todays_budget(settings):
    from listings.models import ApiUsage

    settings.EBAY_DAILY_CALL_BUDGET = 40
    cards = [card(f"card-{n}", hours_ago=None) for n in range(5)]
    ApiUsage.objects.create(day=timezone.now().date(), calls=34)  # 36 is the schedule's share

    plan = plan_refresh(gpus=cards)

    assert sum(c.planned_calls for c in plan.cards) == 2 and len(plan.due) == 2


def test_one_cards_views_cannot_take_the_days_calls_and_what_it_cannot_use_goes_to_the_others(
    settings,
):
    settings.EBAY_DAILY_CALL_BUDGET = 400  # 360 for the schedule
    hot = card("hot", hours_ago=3, views_per_day=100_000)
    RefreshRun.objects.filter(gpu=hot).update(api_calls=5)  # 5 pages a refresh: 120 calls hourly
    others = [card(f"card-{n:02d}", hours_ago=3) for n in range(19)]

    plan = plan_refresh(gpus=[hot, *others])

    daily = {c.gpu.slug: c.refreshes_per_day * c.calls_per_refresh for c in plan.cards}
    scheduled = 400 * SCHEDULE_BUDGET_SHARE
    assert daily["hot"] == pytest.approx(MAX_CARD_SHARE * scheduled)  # 36 calls, not 120
    assert sum(daily.values()) == pytest.approx(scheduled)  # every call planned, none lost
    assert all(daily[g.slug] > 16 for g in others)  # each got its share of what hot could not use


def test_schedule_prints_each_cards_age_and_planned_calls(settings, http, token):
    import responses

    settings.EBAY_DAILY_CALL_BUDGET = 40
    card("popular", hours_ago=3, views_per_day=500)
    card("quiet", hours_ago=1)
    search = http.add(
        responses.GET, "https://api.ebay.test/buy/browse/v1/item_summary/search", json={"total": 0}
    )
    out = StringIO()

    call_command("refresh_listings", "--schedule", stdout=out, stderr=StringIO())

    lines = out.getvalue().splitlines()
    assert any(
        line.startswith("popular: age 3 h,") and "1 calls planned now" in line for line in lines
    )
    assert any(line.startswith("quiet: age 60 min,") and line.endswith("not due") for line in lines)
    assert search.call_count == 1


def test_schedule_with_the_budget_spent_says_so(settings, http, token):
    import responses

    from listings.models import ApiUsage

    settings.EBAY_DAILY_CALL_BUDGET = 40
    card("never", hours_ago=None)
    card("fresh", hours_ago=0)
    ApiUsage.objects.create(day=timezone.now().date(), calls=40)
    search = http.add(
        responses.GET, "https://api.ebay.test/buy/browse/v1/item_summary/search", json={"total": 0}
    )
    out = StringIO()

    call_command("refresh_listings", "--schedule", stdout=out, stderr=StringIO())

    lines = out.getvalue().splitlines()
    never = next(line for line in lines if line.startswith("never:"))
    assert never.endswith("due, but today's eBay call budget is spent")
    assert next(line for line in lines if line.startswith("fresh:")).endswith("not due")
    assert "1 due card waits for tomorrow's budget" in out.getvalue()
    assert search.call_count == 0
