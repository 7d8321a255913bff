"""The site in a real browser: phone-width layout, tooltips, sorting and filtering, buy links."""

import re

import pytest
from django.urls import reverse

from catalog.models import UseCase
from tests.factories import make_shop

pytestmark = pytest.mark.django_db(transaction=True)

PHONE = {"width": 375, "height": 740}


@pytest.fixture
def shop_gpu():
    return make_shop(listings=30)


def open_page(page, live_server, path):
    response = page.goto(live_server.url + path)
    return response.status if response else None


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "SHOP",
        "/ml/shop/gpu/performance/cost-per-fp32-flops/",
        "/ml/shop/use-case/image-classification/",
        "/ml/learn/gpu/nvidia-rtx-a6000/",
    ],
    ids=["home", "shop", "ranking", "use-case", "learn"],
)
def test_no_page_scrolls_sideways_on_a_phone(page, live_server, shop_gpu, path):
    UseCase.objects.create(slug="image-classification", area="Vision", task="Image classification")
    if path == "SHOP":
        path = reverse("metrics:shop-gpu", kwargs={"slug": shop_gpu.slug})
    page.set_viewport_size(PHONE)
    assert open_page(page, live_server, path) == 200
    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, f"{path} is {overflow}px wider than the phone screen"


def shop_path(gpu):
    return reverse("metrics:shop-gpu", kwargs={"slug": gpu.slug})


def test_spec_pills_open_onto_what_each_figure_means_by_click_or_keyboard(
    page, live_server, shop_gpu
):
    page.set_viewport_size(PHONE)
    open_page(page, live_server, shop_path(shop_gpu))
    card = page.locator(".listing-card").first
    notes = card.locator(".spec-notes")
    assert notes.is_hidden()

    card.locator(".pill-spec").first.click()
    assert notes.is_visible()
    assert "Lower is better" in notes.inner_text()
    box = notes.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]

    card.locator(".spec-pills summary").click()
    assert notes.is_hidden()
    card.locator(".spec-pills summary").focus()
    page.keyboard.press("Enter")
    assert notes.is_visible()


def test_a_listing_takes_at_most_three_tab_stops(page, live_server, shop_gpu):
    open_page(page, live_server, shop_path(shop_gpu))
    stops = page.locator(".listing-card").first.evaluate(
        """card => Array.from(card.querySelectorAll('a[href], button, summary, input, select, '
                 + '[tabindex]')).filter(el => el.tabIndex >= 0).length"""
    )
    assert 1 <= stops <= 3


def test_on_a_phone_the_first_listing_starts_on_the_first_screen(page, live_server, shop_gpu):
    page.set_viewport_size(PHONE)
    open_page(page, live_server, shop_path(shop_gpu))
    assert page.locator("form[data-shop-filters]").is_hidden()  # not the own-or-rent form
    top = page.locator(".listing-card").first.bounding_box()["y"]
    assert top < PHONE["height"], f"the first listing starts at {top:.0f} px"
    page.click("summary:text('Filter and sort')")
    assert page.locator("form[data-shop-filters] select[name=sort]").is_visible()


def prices(page):
    return [
        float(re.sub(r"[^\d.]", "", text.split()[0]))
        for text in page.locator(".listing-card .price").all_inner_texts()
    ]


def test_choosing_a_sort_and_a_filter_changes_what_is_shown(page, live_server, shop_gpu):
    open_page(page, live_server, reverse("metrics:shop-gpu", kwargs={"slug": shop_gpu.slug}))
    cheapest_first = prices(page)
    assert cheapest_first == sorted(cheapest_first)

    page.click("summary:text('Filter and sort')")
    with page.expect_navigation():
        page.select_option("select[name=sort]", "-price")
    dearest_first = prices(page)
    assert dearest_first == sorted(dearest_first, reverse=True)
    assert "sort=-price" in page.url

    page.click("summary:text('Filter and sort')")
    page.check("input[name=condition][value=new]")
    with page.expect_navigation():
        page.click("form.filters button[type=submit]")
    assert "condition=new" in page.url
    pills = page.locator(".listing-card .pill-condition-new").count()
    assert pills == page.locator(".listing-card").count() > 0
    assert page.locator(".pill-condition-used").count() == 0
    assert prices(page) == sorted(prices(page), reverse=True)


def test_every_buy_link_points_at_go(page, live_server, shop_gpu):
    open_page(page, live_server, reverse("metrics:shop-gpu", kwargs={"slug": shop_gpu.slug}))
    links = page.locator("a[rel~=sponsored]")
    assert links.count() == 24  # one per listing
    for href in links.evaluate_all("els => els.map(e => e.getAttribute('href'))"):
        assert re.fullmatch(r"/go/\d+/", href)
    rels = set(links.evaluate_all("els => els.map(e => e.rel)"))
    assert all({"sponsored", "nofollow"} <= set(rel.split()) for rel in rels)


def test_feedback_banner_stays_dismissed_on_the_next_page(page, live_server, shop_gpu):
    open_page(page, live_server, "/")
    banner = page.locator("#feedback-banner")
    assert banner.is_visible()
    page.click("[data-dismiss-banner]")
    assert banner.is_hidden()
    open_page(page, live_server, reverse("metrics:shop-gpu", kwargs={"slug": shop_gpu.slug}))
    assert page.locator("#feedback-banner").is_hidden()


def test_pages_run_without_csp_violations_or_script_errors(page, live_server, shop_gpu):
    errors = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    open_page(page, live_server, reverse("metrics:shop-gpu", kwargs={"slug": shop_gpu.slug}))
    page.locator(".pill-spec").first.click()
    page.click("summary:text('Filter and sort')")
    assert errors == []
