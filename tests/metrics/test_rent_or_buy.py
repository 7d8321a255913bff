"""Own or rent on the pages: rent-or-buy.json, the ranking, a card's section, the LLM tables'
energy and the methodology's defaults."""

import re
from datetime import date

import pytest
from django.urls import reverse

from catalog.models import CloudOffer
from metrics.history import record_price_history
from metrics.ownership import DEFAULT_KWH_USD
from metrics.ranking import recompute_rankings
from tests.sitemap import sitemap_text

JSON_URL = "metrics:rent-or-buy-json"
SHARED = ["version", "as_of", "licence", "documentation"]


def _offer(gpu, provider, price, kind="on-demand", **fields):
    return CloudOffer.objects.create(
        gpu=gpu,
        provider=provider,
        kind=kind,
        usd_per_gpu_hour=price,
        observed_on=date(2025, 11, 3),
        source_url=f"https://{provider.lower()}.example/pricing",
        **fields,
    )


@pytest.fixture
def market(db, make_gpu, make_listing, falling_used_prices):
    """Card A: $2,000 used, 450 W, losing 2% a month, rented at $0.55 (median of two on-demand
    offers; a marketplace offer does not count). Card B: 700 W rented at $0.10: never. Card C:
    rented but with no listing; card D: listed but with no offer."""
    a = make_gpu("card-a", label="Card A", tdp_w=450)
    b = make_gpu("card-b", label="Card B", tdp_w=700)
    c = make_gpu("card-c", label="Card C", tdp_w=300)
    d = make_gpu("card-d", label="Card D", tdp_w=300)
    for _ in range(5):
        make_listing(a, 2000)
        make_listing(b, 1000)
        make_listing(d, 900)
    _offer(a, "Alpha", "0.50")
    _offer(a, "Beta", "0.60", instance="8x node", note="$4.80 for 8 GPUs, divided by 8.")
    _offer(a, "Market", "0.20", kind="community")
    _offer(b, "Alpha", "0.10")
    _offer(c, "Alpha", "0.90")
    recompute_rankings()
    falling_used_prices(a, today_price=2000, monthly=0.02)
    record_price_history()
    return {"a": a, "b": b, "c": c, "d": d}


def _json(client, query="hours_per_day=8&kwh_usd=0.20&months=24"):
    response = client.get(f"{reverse(JSON_URL)}?{query}")
    assert response["Content-Type"] == "application/json"
    return response


def test_the_data_answers_exactly_the_documented_fields_with_the_worked_example(client, market):
    data = _json(client).json()
    # Every data document's shared fields first, then the issue's.
    assert list(data) == [*SHARED, "hours_per_day", "kwh_usd", "months", "cards"]
    assert (data["hours_per_day"], data["kwh_usd"], data["months"]) == (8.0, 0.2, 24)
    assert [card["slug"] for card in data["cards"]] == ["card-a", "card-b"]
    a, b = data["cards"]
    assert list(a) == [
        "slug",
        "buy_usd",
        "resale_usd",
        "power_w",
        "energy_usd_per_hour",
        "cloud_usd_per_hour",
        "break_even_hours",
    ]
    assert a["buy_usd"] == 2000.0 and a["power_w"] == 450
    assert a["resale_usd"] == pytest.approx(1231.56, abs=0.02)  # $2,000 x 0.98^24
    assert a["energy_usd_per_hour"] == 0.09 and a["cloud_usd_per_hour"] == 0.55
    assert a["break_even_hours"] == pytest.approx(1670.52, abs=0.05)
    worked = (a["buy_usd"] - a["resale_usd"]) / (a["cloud_usd_per_hour"] - a["energy_usd_per_hour"])
    assert a["break_even_hours"] == pytest.approx(worked, abs=0.006)
    # Card B's 700 W cost $0.14 an hour, more than its $0.10 rent: owning never pays back.
    assert b["energy_usd_per_hour"] == 0.14 and b["break_even_hours"] is None


def test_the_data_follows_the_electricity_price_and_the_months(client, market):
    a = _json(client, "kwh_usd=0.30&months=12").json()["cards"][0]
    assert a["energy_usd_per_hour"] == 0.135
    assert a["resale_usd"] == pytest.approx(2000 * 0.98**12, abs=0.02)
    assert a["break_even_hours"] == pytest.approx((2000 - a["resale_usd"]) / (0.55 - 0.135), 0.001)


def test_without_parameters_the_data_uses_the_documented_defaults(client, market):
    data = _json(client, "").json()
    assert (data["hours_per_day"], data["kwh_usd"], data["months"]) == (8.0, 0.1872, 24)


@pytest.mark.parametrize(
    ("query", "error"),
    [
        ("hours_per_day=eight", "hours_per_day “eight”: not a number"),
        ("kwh_usd=0", "kwh_usd “0”: must be above zero"),
        ("months=1e3", "months “1e3”: not a whole number of months"),
        ("months=121", "months “121”: choose 1 to 120 months"),
        ("kwh_usd=0.2&kwh_usd=0.3", "kwh_usd: given more than once"),
    ],
)
def test_a_bad_parameter_is_a_400_with_a_json_error(client, market, query, error):
    response = _json(client, query)
    assert response.status_code == 400
    assert response.json() == {"error": error}


def test_the_data_runs_a_fixed_number_of_queries(client, market, django_assert_max_num_queries):
    # generation, rents, cards, going rates, trends, the data's as-of time
    with django_assert_max_num_queries(6):
        assert _json(client).status_code == 200


def test_the_ranking_lists_cards_by_break_even_with_the_basis(client, market):
    html = client.get(reverse("metrics:rent-or-buy") + "?kwh_usd=0.20").content.decode()
    assert html.index("Card A") < html.index("Card B")
    assert "1,670 h" in html or "1,671 h" in html  # three significant figures
    assert "6.9 months" in html and ">never<" in html
    assert "no current listing gives a price" in html  # card C
    assert "Card D" not in html  # no cloud offer
    assert 'name="kwh_usd"' in html and 'value="0.2"' in html


def test_bad_input_on_the_ranking_is_a_visible_note(client, market):
    response = client.get(reverse("metrics:rent-or-buy") + "?hours_per_day=-3&months=x")
    assert response.status_code == 200
    notes = re.findall(r'class="notice" role="status">([^<]*)<', response.content.decode())
    assert notes == [
        "Ignored Hours a day “-3”: must be above zero",
        "Ignored Months “x”: not a whole number of months",
    ]


def test_the_ranking_is_in_the_sitemap_linked_from_the_home_and_rankings_and_runs_few_queries(
    client, market, django_assert_max_num_queries
):
    assert reverse("metrics:rent-or-buy") in sitemap_text(client)
    for linking in ("metrics:home", "metrics:rankings-index"):
        assert (
            f'href="{reverse("metrics:rent-or-buy")}"'
            in client.get(reverse(linking)).content.decode()
        )
    with django_assert_max_num_queries(7):
        assert client.get(reverse("metrics:rent-or-buy")).status_code == 200


def test_the_ranking_fits_search_results_and_answers_head(client, market):
    url = reverse("metrics:rent-or-buy")
    html = client.get(url + "?kwh_usd=0.30&utm_source=x").content.decode()
    title = re.search(r"<title>(.*?)</title>", html, re.S).group(1)
    description = re.search(r'<meta name="description" content="(.*?)">', html, re.S).group(1)
    assert len(title) <= 70 and 50 <= len(description) <= 160
    assert f'<link rel="canonical" href="https://shopagent.test{url}">' in html
    assert f'"name":"Rent or buy","item":"https://shopagent.test{url}"' in html  # breadcrumbs
    head = client.head(url)
    assert head.status_code == 200 and head.content == b""
    assert client.head(reverse(JSON_URL)).status_code == 200


@pytest.mark.parametrize("page", ["metrics:shop-gpu", "metrics:learn-gpu"])
def test_a_card_page_says_when_buying_pays_back_and_cites_each_offer(client, market, page):
    url = reverse(page, args=["card-a"]) + "?kwh_usd=0.20&hours_per_day=8"
    html = client.get(url).content.decode()
    section = html[html.index('id="own-or-rent"') :]
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", section))
    assert "pays back after 1,670 hours" in text or "pays back after 1,671 hours" in text
    assert "6.9 months at 8 hours a day" in text and "buying cheaper" in text
    assert "fitted to 181 days of its used prices" in text
    assert "450 W rated board power × $0.2/kWh" in text
    assert "the median of 2 on-demand offers" in text
    assert "https://alpha.example/pricing" in section and "Nov 3, 2025" in text
    assert "$4.80 for 8 GPUs, divided by 8." in text and "8x node" in text
    assert text.index("Alpha") < text.index("Market")  # on-demand before marketplace


def test_a_break_even_under_a_month_is_told_in_days(client, market):
    # One month: $2,000 less a 2% loss is $40, over $0.55 - $0.09 an hour: 87 hours, 3.6 days.
    query = "?kwh_usd=0.20&hours_per_day=24&months=1"
    ranking = client.get(reverse("metrics:rent-or-buy") + query).content.decode()
    assert "87.0 h" in ranking and "3.6 days" in ranking
    card = client.get(reverse("metrics:shop-gpu", args=["card-a"]) + query).content.decode()
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", card[card.index('id="own-or-rent"') :]))
    assert "pays back after 87.0 hours of use: 3.6 days at 24 hours a day" in text


def test_a_card_page_says_never_and_keeps_the_shop_filters_in_its_form(client, market):
    url = reverse("metrics:shop-gpu", args=["card-b"]) + "?sort=price&kwh_usd=0.20"
    html = client.get(url).content.decode()
    assert "owning never pays back" in html
    assert '<input type="hidden" name="sort" value="price">' in html


def test_a_card_without_offers_says_so(client, market):
    html = client.get(reverse("metrics:learn-gpu", args=["card-d"])).content.decode()
    assert "we have no cited on-demand cloud offer for the Card D" in html


def test_bad_input_on_a_card_page_is_a_note_not_an_error(client, market):
    response = client.get(reverse("metrics:learn-gpu", args=["card-a"]) + "?kwh_usd=%F0%9F%98%80")
    assert response.status_code == 200
    assert "Ignored Electricity ($/kWh) “😀”: not a number" in response.content.decode()


def test_the_llm_tables_show_tokens_per_joule_and_electricity_per_million_tokens(
    client, loaded_catalog, make_listing
):
    from catalog.models import Gpu

    gpu = Gpu.objects.get(slug="nvidia-geforce-rtx-4090")
    for price in (1800, 1850, 1900, 1950, 2000):
        make_listing(gpu, price)
    recompute_rankings()
    html = client.get(reverse("metrics:llm-index") + "?kwh_usd=0.30").content.decode()
    assert "Tokens per joule" in html and "Electricity per 1M tokens" in html
    row = next(r for r in html.split("<tr>") if "nvidia-geforce-rtx-4090/" in r)
    cells = dict(re.findall(r'<td class="num[^"]*" data-label="([^"]+)">([^<]*)', row))
    tokens_per_s = float(cells["Decode tokens/s"].replace(",", ""))
    joule = float(cells["Tokens per joule"])
    per_million = float(cells["Electricity per 1M tokens"].removeprefix("$"))
    assert joule == pytest.approx(tokens_per_s / 450, rel=0.01)
    assert per_million == pytest.approx(450 / tokens_per_s * 1e6 / 3.6e6 * 0.30, rel=0.01)
    card = client.get(reverse("metrics:learn-gpu", args=[gpu.slug])).content.decode()
    llms = card[card.index('id="llms"') :]
    assert "Tokens per joule" in llms and f"${DEFAULT_KWH_USD}/kWh" in llms


def test_the_methodology_documents_the_defaults_and_the_data(client, db):
    from metrics.depreciation import FALLBACK_MONTHLY_RATE, MAX_MONTHLY_RATE
    from metrics.ownership import DEFAULT_HOURS_PER_DAY, DEFAULT_MONTHS, KWH_SOURCE_URL

    html = client.get(reverse("catalog:methodology")).content.decode()
    section = html[html.index('id="rent-or-buy"') :]
    assert f"<strong>{DEFAULT_HOURS_PER_DAY} hours a day</strong>" in section
    assert f"<strong>${DEFAULT_KWH_USD}/kWh</strong>" in section
    assert f"<strong>{DEFAULT_MONTHS} months</strong>" in section
    assert f"{FALLBACK_MONTHLY_RATE:.1%} a month" in section
    assert f"steeper than {MAX_MONTHLY_RATE:.0%} a month" in section
    assert KWH_SOURCE_URL in section
    assert reverse(JSON_URL) + "?hours_per_day=8&amp;kwh_usd=0.20&amp;months=24" in section
