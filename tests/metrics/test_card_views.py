import re
from decimal import Decimal

import pytest
from django.urls import reverse

from listings.models import ConditionKind, Listing, Verdict
from tests.factories import make_gpu, make_listing, make_refresh, make_shop

pytestmark = pytest.mark.django_db


def shop_url(gpu, **query):
    path = reverse("metrics:shop-gpu", kwargs={"slug": gpu.slug})
    if query:
        from urllib.parse import urlencode

        path += "?" + urlencode(query, doseq=True)
    return path


def prices_on(response):
    """Prices per card in the order the page shows them."""
    return [c["unit_price"] for c in response.context["cards"]]


def test_shows_each_visible_listing_as_a_card_with_price_condition_and_seller(client):
    gpu = make_gpu()
    make_listing(gpu, price="4100.00", seller_feedback_percent=99.8, seller_feedback_score=5400)
    html = client.get(shop_url(gpu)).content.decode()
    assert "$4,100.00" in html
    assert 'class="pill pill-attr pill-condition-used">Used<' in html
    assert "Ships from US" in html
    assert "48 GB" in html
    assert "Seller 99.8% positive (5,400)" in html


def test_hides_dropped_archived_excluded_and_other_cards_listings(client):
    gpu = make_gpu()
    other = make_gpu(slug="nvidia-a100-80gb", label="NVIDIA A100 80GB")
    make_listing(gpu, price="4000", title="Kept card")
    make_listing(gpu, price="10", title="Fan shroud", verdict=Verdict.DROP)
    make_listing(gpu, price="3900", title="Sold one", is_active=False)
    make_listing(gpu, price="3800", title="Excluded one", excluded_by_admin=True)
    make_listing(other, price="9000", title="Another card")
    html = client.get(shop_url(gpu)).content.decode()
    assert "Kept card" in html
    for hidden in ("Fan shroud", "Sold one", "Excluded one", "Another card"):
        assert hidden not in html


def test_a_lot_shows_price_per_card_and_the_lot_price(client):
    gpu = make_gpu()
    make_listing(gpu, price="12000.00", quantity=4)
    html = client.get(shop_url(gpu)).content.decode()
    assert "$3,000.00" in html
    assert "each, lot of 4 for $12,000.00" in html


def test_an_auction_shows_its_bids_and_time_left(client):
    from datetime import timedelta

    from django.utils import timezone

    gpu = make_gpu()
    make_listing(
        gpu,
        is_auction=True,
        is_buy_now=False,
        bid_count=7,
        auction_ends_at=timezone.now() + timedelta(hours=3, minutes=30),
    )
    html = client.get(shop_url(gpu)).content.decode()
    assert re.search(r"Auction · 7 bids · ends in 3\xa0hours", html)


def test_spec_pills_show_dollars_per_spec_and_open_onto_what_each_means(client):
    gpu = make_gpu(fp32_tflops=40, fp8_tflops=None)
    make_listing(gpu, price="4000.00")
    make_listing(gpu, price="4400.00")
    html = client.get(shop_url(gpu)).content.decode()
    # $4,000 / 40 FP32 TFLOPS, written as the rankings write dollars per unit
    assert '<span class="pill pill-spec">$100.00/FP32 TFLOPS</span>' in html
    # One <details> per listing: the figures are its summary, their meaning its body.
    assert html.count('<details class="spec-pills">') == 2
    meaning = r"<li>\$/FP32: a listing&#x27;s price per card divided by the [^<]*Lower is better"
    assert re.search(meaning, html)
    assert "/FP8 TFLOPS" not in html  # the card has no FP8 figure
    for label in ("/FP16 TFLOPS", "/INT8 TOPS", "/tensor core", "/GB<", "/GB/s"):
        assert label in html


def test_sorts_by_price_either_way_and_by_newest(client):
    gpu = make_gpu()
    cheap = make_listing(gpu, price="3000")
    dear = make_listing(gpu, price="5000")
    middle = make_listing(gpu, price="4000")
    cheap.first_seen_at = dear.first_seen_at - (dear.first_seen_at - middle.first_seen_at) * 5
    cheap.save()
    assert prices_on(client.get(shop_url(gpu))) == [3000, 4000, 5000]
    assert prices_on(client.get(shop_url(gpu, sort="-price"))) == [5000, 4000, 3000]
    newest = [c["pk"] for c in client.get(shop_url(gpu, sort="newest")).context["cards"]]
    assert newest[0] == dear.pk and newest[-1] == cheap.pk


def test_sorting_by_dollars_per_spec_puts_the_lowest_first(client):
    gpu = make_gpu()
    make_listing(gpu, price="5000")
    make_listing(gpu, price="12000", quantity=4)
    make_listing(gpu, price="4000")
    response = client.get(shop_url(gpu, sort="fp16"))
    per_fp16 = [c["pills"][1].dollars_per for c in response.context["cards"]]
    assert per_fp16 == sorted(per_fp16)
    assert prices_on(response)[0] == 3000


def test_filters_by_condition_buying_option_country_price_and_feedback(client):
    gpu = make_gpu()
    make_listing(gpu, price="3000", title="Used US auction", is_auction=True, is_buy_now=False)
    make_listing(
        gpu,
        price="3500",
        title="New DE",
        condition_kind=ConditionKind.NEW,
        item_location_country="DE",
    )
    make_listing(
        gpu,
        price="4500",
        title="Refurb US",
        condition_kind=ConditionKind.REFURBISHED,
        seller_feedback_percent=92.0,
    )

    def titles(**query):
        return [c["title"] for c in client.get(shop_url(gpu, **query)).context["cards"]]

    assert titles(condition=["new", "refurbished"]) == ["New DE", "Refurb US"]
    assert titles(buying="auction") == ["Used US auction"]
    assert titles(buying="buy_now") == ["New DE", "Refurb US"]
    assert titles(country="DE") == ["New DE"]
    assert titles(price_min="3200", price_max="4000") == ["New DE"]
    assert titles(feedback_min="98") == ["Used US auction", "New DE"]


def test_memory_range_filter_applies_to_the_cards_memory(client):
    gpu = make_gpu(memory_gb=48)
    make_listing(gpu)
    assert len(client.get(shop_url(gpu, memory_min="40")).context["cards"]) == 1
    response = client.get(shop_url(gpu, memory_max="24"))
    assert len(response.context["cards"]) == 0
    assert "No listings match" in response.content.decode()


@pytest.mark.parametrize(
    ("query", "note"),
    [
        ({"price_min": "cheap"}, "Ignored price min: Enter a number."),
        ({"price_max": "-5"}, "Ignored price max"),
        ({"feedback_min": "NaN"}, "Ignored Seller feedback at least (%)"),
        ({"memory_min": "inf"}, "Ignored memory min"),
        ({"sort": "fp8"}, "Ignored sort"),
        ({"sort": "'; DROP TABLE listings_listing; --"}, "Ignored sort"),
        ({"condition": "mint"}, "Ignored condition"),
        ({"country": "ZZ"}, "Ignored Ships from"),
        ({"price_min": "3500", "price_max": "100"}, "Ignored price max: is below the minimum"),
        ({"page": "two"}, "Ignored page: not a whole number."),
        ({"page": "0"}, "Ignored page: pages start at 1."),
        ({"price_min": "1" * 400}, "Ignored price min"),
        ({"price_min": "٣٥٠٠"}, "Ignored price min: Enter a number."),
        ({"memory_min": "2_4"}, "Ignored memory min: Enter a number."),
        ({"price_min": ["100", "3500"]}, "Ignored price min: given more than once"),
        ({"sort": ["price", "-price"]}, "Ignored sort: given more than once"),
        ({"page": "٢"}, "Ignored page: not a whole number."),
        ({"page": "9" * 5000}, ""),  # past the end: the last page
    ],
)
def test_invalid_query_values_are_ignored_with_a_visible_note(client, query, note):
    gpu = make_gpu(fp8_tflops=None)
    make_listing(gpu, price="3000")
    make_listing(gpu, price="4000")
    response = client.get(shop_url(gpu, **query))
    assert response.status_code == 200
    assert note in response.content.decode()
    assert len(response.context["cards"]) >= 1


def test_the_other_filters_still_apply_when_one_is_invalid(client):
    gpu = make_gpu()
    make_listing(gpu, price="3000")
    make_listing(gpu, price="4000")
    response = client.get(shop_url(gpu, price_min="oops", price_max="3500"))
    assert prices_on(response) == [3000]


def test_paginates_24_per_page_and_a_page_past_the_end_shows_the_last(client):
    gpu = make_shop(listings=30)  # 31 listings with the lot
    first = client.get(shop_url(gpu))
    assert len(first.context["cards"]) == 24
    assert 'rel="next" href="?page=2"' in first.content.decode()
    beyond = client.get(shop_url(gpu, page="99", sort="-price"))
    assert beyond.status_code == 200
    assert len(beyond.context["cards"]) == 7
    assert "Page 2 of 2" in beyond.content.decode()
    assert 'href="?page=1&amp;sort=-price"' in beyond.content.decode() or (
        'href="?sort=-price&amp;page=1"' in beyond.content.decode()
    )


def test_query_count_does_not_grow_with_listings(client, django_assert_max_num_queries):
    small = make_shop(listings=3)
    big = make_gpu(slug="nvidia-l40s", label="NVIDIA L40S")
    for i in range(60):
        make_listing(big, price=6000 + i, item_location_country=["US", "DE", "GB", "CN"][i % 4])
    make_refresh(big)
    for gpu in (small, big):
        # The page generation, the card, its price summary and last check, its going rates, the
        # count and page of listings, its price history, the LLM catalogue (two without any
        # measurement: LLMs with their count, quantisations), demo notice, its cloud offers and
        # the depreciation rates.
        with django_assert_max_num_queries(13):
            response = client.get(shop_url(gpu, sort="fp32", price_min="100"))
        assert response.status_code == 200


def test_prices_checked_comes_from_the_cards_last_successful_refresh(client):
    gpu = make_gpu()
    make_listing(gpu)
    make_refresh(gpu, minutes_ago=3, status="failed")
    make_refresh(gpu, minutes_ago=42)
    make_refresh(None, minutes_ago=1)
    html = client.get(shop_url(gpu)).content.decode()
    assert "Prices checked" in html
    assert "42\xa0minutes ago" in html


def test_without_any_refresh_there_is_no_prices_checked_line(client):
    gpu = make_gpu()
    assert "Prices checked" not in client.get(shop_url(gpu)).content.decode()


def test_links_to_learn_and_rankings_pages_only_when_they_exist(client):
    gpu = make_gpu()
    html = client.get(shop_url(gpu)).content.decode()
    assert f'href="{reverse("metrics:rankings-index")}"' in html
    assert f'href="{reverse("metrics:learn-gpu", kwargs={"slug": gpu.slug})}"' in html


def test_every_buy_link_goes_through_go_and_is_marked_sponsored(client):
    gpu = make_shop(listings=5)
    html = client.get(shop_url(gpu)).content.decode()
    tags = re.findall(r"<a [^>]*>", html)
    links = [(re.search(r'href="([^"]*)"', t)[1], re.search(r'rel="([^"]*)"', t)) for t in tags]
    buy = [(href, rel[1]) for href, rel in links if rel and "sponsored" in rel[1]]
    assert len(buy) == 6  # one link per listing
    assert all(re.fullmatch(r"/go/\d+/", href) for href, _ in buy)
    assert all({"sponsored", "nofollow"} <= set(rel.split()) for _, rel in buy)
    assert "ebay.com" not in html


def test_unknown_card_is_a_404(client):
    assert client.get("/ml/shop/gpu/no-such-card/").status_code == 404


def test_a_card_with_no_listings_says_so(client):
    gpu = make_gpu()
    html = client.get(shop_url(gpu)).content.decode()
    assert "No NVIDIA RTX A6000 is listed on eBay right now" in html


def test_second_view_is_served_from_the_page_cache(client, django_assert_num_queries):
    gpu = make_shop(listings=3)
    client.get(shop_url(gpu))
    with django_assert_num_queries(1):  # the page generation, by primary key
        assert client.get(shop_url(gpu)).status_code == 200


def test_price_summary_covers_all_visible_listings_not_just_the_page(client):
    gpu = make_shop(listings=30)
    summary = client.get(shop_url(gpu, price_max="3100")).context["summary"]
    assert (summary["count"], summary["auctions"]) == (31, 6)
    assert summary["low"] == Decimal("3000.00")
    assert summary["high"] == Decimal("5716.00")  # the dearest, $5,813, is an auction's bid


def test_an_unfiltered_page_counts_its_listings_without_a_second_count_query(
    client, django_assert_max_num_queries
):
    gpu = make_shop(listings=30)  # 31 listings with the lot
    # As test_query_count_does_not_grow_with_listings, without the COUNT: the summary's is used.
    with django_assert_max_num_queries(12):
        html = client.get(shop_url(gpu, sort="-price", page="2")).content.decode()
    assert "Showing 25–31 of 31 listings." in html
    assert "Page 2 of 2" in html


def test_a_page_filtered_by_condition_and_country_counts_from_the_summary(
    client, django_assert_max_num_queries
):
    gpu = make_shop(listings=30)
    shown = Listing.objects.listed().filter(gpu=gpu)
    for query, lookups in [
        ({"condition": "used"}, {"condition_kind": "used"}),
        ({"condition": ["new", "refurbished"]}, {"condition_kind__in": ["new", "refurbished"]}),
        (
            {"condition": "new", "country": "DE"},
            {"condition_kind": "new", "item_location_country": "DE"},
        ),
        ({"country": "US", "sort": "deal"}, {"item_location_country": "US"}),
    ]:
        expected = shown.filter(**lookups).count()
        # As test_an_unfiltered_page_counts_its_listings_without_a_second_count_query.
        with django_assert_max_num_queries(12):
            html = client.get(shop_url(gpu, **query)).content.decode()
        assert f"of {expected} listing{'s' if expected != 1 else ''}." in html, query


def test_a_filtered_page_counts_only_the_listings_that_match(client):
    gpu = make_shop(listings=30)
    html = client.get(shop_url(gpu, country="DE")).content.decode()
    assert "Showing 1–8 of 8 listings." in html
    assert '<option value="DE" selected>DE</option>' in html
    assert '<option value="US">US</option>' in html


def test_a_listing_without_a_usable_ebay_link_is_not_shown(client):
    gpu = make_gpu()
    make_listing(gpu, price="3000.00")
    make_listing(gpu, price="2000.00", item_web_url="", affiliate_url="")
    html = client.get(shop_url(gpu)).content.decode()
    assert "$3,000" in html
    assert "$2,000" not in html


def test_head_answers_the_shop_page_like_get(client):
    gpu = make_shop(listings=2)
    response = client.head(shop_url(gpu))
    assert response.status_code == 200
    assert response.content == b""


HOSTILE = '"><script>alert(1)</script><img src=x onerror=alert(2)>'


def test_a_hostile_ebay_title_and_photo_url_are_shown_as_text(client):
    gpu = make_gpu()
    make_listing(
        gpu,
        title=f"RTX A6000 {HOSTILE}",
        image_url=f"https://i.ebayimg.com/images/g/x/s-l500.jpg{HOSTILE}",
        item_location_country="<b",  # two letters at most
    )
    html = client.get(shop_url(gpu)).content.decode()
    assert "<script>alert(1)" not in html
    assert "onerror=alert(2)>" not in html.replace("&lt;img src=x onerror=alert(2)&gt;", "")
    assert "Ships from <b" not in html
    escaped = "&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(2)&gt;"
    assert f"<h3>RTX A6000 {escaped}</h3>" in html
    assert f'src="https://i.ebayimg.com/images/g/x/s-l500.jpg{escaped}"' in html
    assert "Ships from &lt;b" in html


def test_a_photo_from_another_host_gets_the_placeholder(client):
    gpu = make_gpu()
    make_listing(gpu, image_url="javascript:alert(1)")
    html = client.get(shop_url(gpu)).content.decode()
    assert "javascript:" not in html
    assert 'aria-label="No photo">No photo</span>' in html


def test_each_buy_link_names_the_card_and_its_price_and_says_it_opens_a_new_tab(client):
    gpu = make_gpu()
    make_listing(gpu, price="527.66")
    make_listing(gpu, price="4100.00")
    html = client.get(shop_url(gpu)).content.decode()
    names = [
        re.sub(r"<[^>]+>", "", link)
        for link in re.findall(r'<a class="button" href="/go/\d+/"[^>]*>(.*?)</a>', html)
    ]
    assert names == [
        "View NVIDIA RTX A6000 listing $527.66 on eBay (opens in a new tab)",
        "View NVIDIA RTX A6000 listing $4,100.00 on eBay (opens in a new tab)",
    ]


def test_headings_go_from_h1_to_h2_to_h3_without_a_jump(client):
    gpu = make_shop(listings=3)
    html = client.get(shop_url(gpu)).content.decode()
    main = html[html.index("<main") : html.index("</main>")]
    levels = [int(n) for n in re.findall(r"<h([1-6])[\s>]", main)]
    assert levels[0] == 1 and levels.count(1) == 1 and levels.count(3) >= 3
    assert all(b - a <= 1 for a, b in zip(levels, levels[1:], strict=False)), levels


def test_filters_and_sort_fold_behind_one_control_and_the_compare_link_is_offered(client):
    gpu = make_shop(listings=3)
    html = client.get(shop_url(gpu)).content.decode()
    assert re.search(
        r'<details class="filter-panel">\s*<summary>Filter and sort</summary>'
        r'\s*<form class="filters"',
        html,
    )
    assert f'href="/ml/shop/gpu/compare/?gpu={gpu.slug}"' in html


def test_a_laptop_gpus_page_says_why_it_lists_nothing(client, loaded_catalog):
    from catalog.models import Gpu

    laptop = Gpu.objects.get(slug="amd-radeon-rx-7700s")
    make_listing(laptop, price="400.00")  # stored before the card was known to be a laptop GPU
    make_refresh(laptop)  # the demo's load writes a run for every card

    response = client.get(shop_url(laptop))

    html = response.content.decode()
    assert "is a laptop GPU: it is sold only built into laptops, never as a card" in html
    assert response.context["cards"] == []
    assert "$400.00" not in html and "Used going rate" not in html
    assert "Prices checked" not in html  # nothing was checked: there is nothing to buy
    assert "Llama 3.1 70B" in html  # its LLM table still says what fits its 8 GB...
    assert "Multi-card setup" not in html and "No: a laptop has one" in html  # ...on one GPU


def test_a_laptop_gpus_learn_page_says_why_it_offers_no_prices(client, loaded_catalog):
    from catalog.models import Gpu

    laptop = Gpu.objects.get(slug="amd-radeon-rx-7700s")
    desktop = Gpu.objects.get(slug="nvidia-geforce-rtx-3090")

    html = client.get(reverse("metrics:learn-gpu", kwargs={"slug": laptop.slug})).content.decode()
    other = client.get(reverse("metrics:learn-gpu", kwargs={"slug": desktop.slug})).content.decode()

    assert "is a laptop GPU: it is sold only built into laptops, never as a card" in html
    assert "Live eBay prices for the AMD Radeon RX 7700S" not in html
    assert "Live eBay prices for the NVIDIA GeForce RTX 3090" in other
