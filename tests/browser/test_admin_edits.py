"""An edit in the admin, made in a real browser: only the field the editor changed is recorded
(the browser posts the textareas' lines with CRLF), and the learn page then agrees with itself."""

import pytest
from django.urls import reverse

from catalog.models import Gpu
from tests.factories import make_gpu

pytestmark = pytest.mark.django_db(transaction=True)

NOTES = "FP32: 35.6 shader FP32.\nFP16: 71 dense tensor.\nBoard power: 350 W."


@pytest.fixture
def card():
    return make_gpu(
        "nvidia-geforce-rtx-3090",
        label="NVIDIA GeForce RTX 3090",
        category="gaming",
        architecture="Ampere",
        memory_gb=24,
        spec_notes=NOTES,
        summary="NVIDIA GeForce RTX 3090 is a gaming PCIe card on the Ampere architecture "
        "with 24 GB of memory.",
        aliases=["RTX 3090", "GeForce RTX 3090"],
    )


@pytest.fixture
def signed_in(page, live_server, django_user_model):
    django_user_model.objects.create_user(
        "editor", "e@example.com", "pw-editor-1", is_staff=True, is_superuser=True
    )
    page.goto(live_server.url + reverse("admin:login"))
    page.fill("#id_username", "editor")
    page.fill("#id_password", "pw-editor-1")
    page.click("input[type=submit]")
    page.wait_for_url(live_server.url + reverse("admin:index"))
    return page


def test_changing_only_the_memory_records_only_the_memory(signed_in, live_server, card):
    page = signed_in
    page.goto(live_server.url + reverse("admin:catalog_gpu_change", args=[card.pk]))
    assert page.input_value("#id_spec_notes") == NOTES
    page.fill("#id_memory_gb", "24.5")
    page.click("input[name=_save]")
    page.wait_for_url(live_server.url + reverse("admin:catalog_gpu_changelist"))

    card.refresh_from_db()
    assert card.admin_edited_fields == ["memory_gb"]
    assert card.spec_notes == NOTES
    page.goto(live_server.url + reverse("admin:catalog_gpu_change", args=[card.pk]))
    recorded = page.locator(".field-admin_edited_fields .readonly").inner_text()
    assert "memory_gb" in recorded and "spec_notes" not in recorded

    page.goto(live_server.url + card.get_absolute_url())
    assert "with 24.5 GB of memory" in page.locator(".lede").inner_text()
    memory_row = page.locator("tr", has=page.locator("th", has_text="Memory")).first
    assert "24.5" in memory_row.inner_text()


def test_saving_without_a_change_records_nothing(signed_in, live_server, card):
    page = signed_in
    page.goto(live_server.url + reverse("admin:catalog_gpu_change", args=[card.pk]))
    page.click("input[name=_save]")
    page.wait_for_url(live_server.url + reverse("admin:catalog_gpu_changelist"))
    assert Gpu.objects.get(pk=card.pk).admin_edited_fields == []
