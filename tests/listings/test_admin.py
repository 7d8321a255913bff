import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse

from listings.ingest import ingest_items
from listings.models import Listing
from tests.listings.conftest import make_item

pytestmark = pytest.mark.django_db

ITEMS = [
    make_item(1, "NVIDIA GeForce RTX 4090 Founders Edition 24GB", "1650.00"),
    make_item(2, "ASUS TUF RTX 4090 OC 24GB GDDR6X", "1720.00"),
    make_item(3, "MSI GeForce RTX 4090 Gaming X Trio 24G", "1690.00"),
]


@pytest.fixture
def stored(rtx4090):
    ingest_items(gpu=rtx4090, items=ITEMS, source="import", run_id="r1")
    return Listing.objects.order_by("item_id")


def test_exclude_by_hand_asks_for_a_reason_then_hides_the_listing(
    admin_client, stored, changed_gpu_ids, django_capture_on_commit_callbacks
):
    url = reverse("admin:listings_listing_changelist")
    first = stored[0]
    picked = {"action": "exclude_by_hand", ACTION_CHECKBOX_NAME: [first.pk]}

    form = admin_client.post(url, picked)
    assert form.status_code == 200 and b"Exclude" in form.content

    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(url, {**picked, "apply": "1", "reason": "box only, buyer report"})

    first.refresh_from_db()
    assert first.excluded_by_admin and first.exclusion_reason == "box only, buyer report"
    assert first not in Listing.objects.visible()
    assert changed_gpu_ids == [[first.gpu_id]]


def test_include_again_shows_the_listing_again(admin_client, stored):
    first = stored[0]
    stored.filter(pk=first.pk).update(excluded_by_admin=True, exclusion_reason="x")

    admin_client.post(
        reverse("admin:listings_listing_changelist"),
        {"action": "include_again", ACTION_CHECKBOX_NAME: [first.pk]},
    )

    assert first in Listing.objects.visible()


def test_listing_pages_filter_search_and_show_history(admin_client, stored):
    url = reverse("admin:listings_listing_changelist")

    found = admin_client.get(url, {"q": "Founders", "verdict__exact": "keep"})
    change = admin_client.get(reverse("admin:listings_listing_change", args=[stored[0].pk]))

    assert found.status_code == 200 and b"Founders Edition" in found.content
    assert b"ASUS TUF" not in found.content
    assert change.status_code == 200 and b"Price history" in change.content


def test_refresh_runs_are_listed_read_only(admin_client, stored):
    response = admin_client.get(reverse("admin:listings_refreshrun_changelist"), {"status": "ok"})

    assert response.status_code == 200
    assert b"nvidia-geforce-rtx-4090" in response.content or b"RTX 4090" in response.content
    assert b"Add refresh run" not in response.content
