"""The ML software badge on a ranking: its note opens with the keyboard or a tap, on a phone too."""

import pytest
from django.urls import reverse

from catalog.models import Gpu
from listings.models import Listing
from metrics.ranking import recompute_rankings

pytestmark = pytest.mark.django_db(transaction=True)

PHONE = {"width": 375, "height": 740}
NOTE = "ROCm dropped this card after 5.7; use older builds"


@pytest.fixture
def limited_card():
    from django.utils import timezone

    gpu = Gpu.objects.create(
        slug="amd-instinct-mi50-16gb",
        label="AMD Instinct MI50 16GB",
        manufacturer="AMD",
        category="datacenter",
        memory_gb=16,
        fp32_tflops=13.4,
        ml_software="limited",
        ml_software_note=NOTE,
    )
    now = timezone.now()
    Listing.objects.create(
        item_id="v1|1|0",
        gpu=gpu,
        title="AMD Instinct MI50 16GB",
        verdict="keep",
        unit_price=120,
        price=120,
        currency="USD",
        condition_kind="used",
        first_seen_at=now,
        last_seen_at=now,
    )
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
