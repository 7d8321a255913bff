"""The ML software badge on a ranking: its note opens with the keyboard or a tap, on a phone too."""

import pytest
from django.urls import reverse

from metrics.ranking import recompute_rankings
from tests.factories import make_gpu, make_listing

pytestmark = pytest.mark.django_db(transaction=True)

PHONE = {"width": 375, "height": 740}
NOTE = "ROCm dropped this card after 5.7; use older builds"


@pytest.fixture
def limited_card():
    gpu = make_gpu(
        "amd-instinct-mi50-16gb",
        label="AMD Instinct MI50 16GB",
        manufacturer="AMD",
        category="datacenter",
        memory_gb=16,
        fp32_tflops=13.4,
        ml_software="limited",
        ml_software_note=NOTE,
    )
    make_listing(gpu, price=120, title="AMD Instinct MI50 16GB")
    recompute_rankings()
    return gpu


def test_badge_note_opens_with_the_keyboard_and_a_tap_without_widening_a_phone_page(
    page, live_server, limited_card
):
    page.set_viewport_size(PHONE)
    page.goto(live_server.url + reverse("metrics:cost-per-spec", args=["fp32-flops"]))
    badge = page.locator(".ml-software-limited").first
    summary = badge.locator("summary")
    assert summary.inner_text() == "ML software: limited"
    assert not page.get_by_text(NOTE).is_visible()

    summary.focus()
    page.keyboard.press("Enter")
    assert page.get_by_text(NOTE).is_visible()
    page.keyboard.press("Enter")
    assert not page.get_by_text(NOTE).is_visible()

    summary.click()  # a tap is a click to the page
    assert page.get_by_text(NOTE).is_visible()
    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0
