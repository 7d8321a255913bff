import datetime
import json

import pytest
from django.forms.models import model_to_dict
from django.urls import reverse

from catalog.models import Gpu, UseCase
from catalog.signals import catalog_changed

CHANGELISTS = [
    "admin:catalog_gpu_changelist",
    "admin:catalog_benchmarkresult_changelist",
    "admin:catalog_mlmodel_changelist",
    "admin:catalog_usecase_changelist",
    "admin:catalog_cloudoffer_changelist",
]


def change_form_data(gpu: Gpu, **overrides) -> dict:
    """What the admin's change form posts for a card without MLPerf results, plus edits."""
    data = {}
    for name, value in model_to_dict(gpu).items():
        if name in {"id", "admin_edited_fields"}:
            continue
        if isinstance(value, list):
            # Fields with a callable default post their initial value too, as the page does.
            value = json.dumps(value)
            data[f"initial-{name}"] = value
        data[name] = "" if value is None else value
    data.update(
        {
            "benchmark_results-TOTAL_FORMS": "0",
            "benchmark_results-INITIAL_FORMS": "0",
            "benchmark_results-MIN_NUM_FORMS": "0",
            "benchmark_results-MAX_NUM_FORMS": "1000",
        }
    )
    data.update(overrides)
    return data


@pytest.mark.django_db
@pytest.mark.parametrize("name", CHANGELISTS)
def test_anonymous_users_are_sent_to_the_login_page(client, name):
    response = client.get(reverse(name))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


@pytest.mark.parametrize("name", CHANGELISTS)
def test_staff_see_every_catalog_list(staff_client, loaded_catalog, name):
    response = staff_client.get(reverse(name))
    assert response.status_code == 200


def test_card_list_shows_specs_and_finds_cards_by_part_number(staff_client, loaded_catalog):
    url = reverse("admin:catalog_gpu_changelist")
    html = staff_client.get(url, {"q": "900-2G183-0000-000"}).content.decode()
    assert "NVIDIA T4" in html
    assert "NVIDIA L4" not in html
    assert "1 result" in html
    response = staff_client.get(url, {"manufacturer__exact": "AMD", "q": "7900"})
    labels = {gpu.label for gpu in response.context["cl"].result_list}
    assert labels == {
        "AMD Radeon Pro W7900",
        "AMD Radeon RX 7900 GRE",
        "AMD Radeon RX 7900 XT",
        "AMD Radeon RX 7900 XTX",
    }


def test_results_list_filters_by_round_model_and_card(staff_client, loaded_catalog):
    url = reverse("admin:catalog_benchmarkresult_changelist")
    l4 = Gpu.objects.get(slug="nvidia-l4")
    html = staff_client.get(
        url,
        {
            "round": "MLPerf Inference v3.1",
            "model__id__exact": l4.benchmark_results.get(
                round="MLPerf Inference v3.1", submitter="NVIDIA", model__mlperf_id="resnet50"
            ).model_id,
            "gpu__id__exact": l4.id,
        },
    ).content.decode()
    assert "12881.7" in html


def test_card_edit_page_shows_results_inline_and_view_on_site(staff_client, loaded_catalog):
    l4 = Gpu.objects.get(slug="nvidia-l4")
    html = staff_client.get(reverse("admin:catalog_gpu_change", args=[l4.pk])).content.decode()
    assert "12881.7" in html
    assert "View on site" in html


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("fp32_tflops", "-5", "must be greater than zero"),
        ("memory_gb", "0", "must be greater than zero"),
        ("memory_bandwidth_gbs", "-1", "must be greater than zero"),
        ("release_date", "2999-01-01", "cannot be in the future"),
        ("typical_used_usd", "-100", "must be greater than zero"),
        ("fp16_fp16acc_tflops", "0", "must be greater than zero"),
        ("source_url", "javascript:alert(1)", "Enter a valid URL."),
        ("source_url", "ftp://example.com/datasheet.pdf", "Enter an http:// or https:// address."),
        ("reference_urls", '["data:text/html,x"]', "Enter an http:// or https:// address."),
    ],
)
def test_edit_form_rejects_bad_values_with_a_clear_message(
    staff_client, loaded_catalog, field, value, message
):
    gpu = Gpu.objects.get(slug="amd-radeon-rx-6800")
    url = reverse("admin:catalog_gpu_change", args=[gpu.pk])
    response = staff_client.post(url, change_form_data(gpu, **{field: value}))
    assert response.status_code == 200
    assert message in response.content.decode()
    gpu.refresh_from_db()
    assert gpu.fp32_tflops == 16.17 and gpu.memory_gb == 16


def test_a_saved_edit_is_kept_by_the_next_load_and_announced(
    staff_client, loaded_catalog, django_capture_on_commit_callbacks
):
    from django.core.management import call_command

    gpu = Gpu.objects.get(slug="amd-radeon-rx-6800")
    url = reverse("admin:catalog_gpu_change", args=[gpu.pk])
    sent = []
    catalog_changed.connect(receiver := lambda sender, **kw: sent.append(kw))  # noqa: F841
    try:
        with django_capture_on_commit_callbacks(execute=True):
            response = staff_client.post(
                url, change_form_data(gpu, fp32_tflops="16.2", release_date="2020-11-18")
            )
    finally:
        catalog_changed.disconnect(receiver)
    assert response.status_code == 302
    assert sent == [{"signal": catalog_changed, "source": "admin", "gpu_ids": [gpu.pk]}]
    gpu.refresh_from_db()
    assert gpu.admin_edited_fields == ["fp32_tflops"]

    call_command("load_catalog", verbosity=0, stdout=open("/dev/null", "w"))  # noqa: SIM115
    gpu.refresh_from_db()
    assert gpu.fp32_tflops == 16.2


def test_an_editor_can_correct_software_support_and_typical_prices(staff_client, loaded_catalog):
    gpu = Gpu.objects.get(slug="amd-radeon-rx-6800")
    url = reverse("admin:catalog_gpu_change", args=[gpu.pk])
    html = staff_client.get(url).content.decode()
    assert 'name="ml_software"' in html and 'name="typical_used_usd"' in html

    response = staff_client.post(
        url,
        change_form_data(
            gpu,
            ml_software="supported",
            ml_software_note="Now on ROCm's support list",
            typical_used_usd="310",
        ),
    )

    assert response.status_code == 302
    gpu.refresh_from_db()
    assert (gpu.ml_software, str(gpu.typical_used_usd)) == ("supported", "310.00")
    assert {"ml_software", "ml_software_note", "typical_used_usd"} <= set(gpu.admin_edited_fields)


def test_an_editor_can_correct_the_memory_type_and_only_to_a_known_one(
    staff_client, loaded_catalog
):
    gpu = Gpu.objects.get(slug="nvidia-a100-pcie-40gb")
    url = reverse("admin:catalog_gpu_change", args=[gpu.pk])
    assert 'name="memory_type"' in staff_client.get(url).content.decode()

    response = staff_client.post(url, change_form_data(gpu, memory_type="DDR9"))
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()

    response = staff_client.post(url, change_form_data(gpu, memory_type="HBM2e"))
    assert response.status_code == 302
    gpu.refresh_from_db()
    assert gpu.memory_type == "HBM2e"
    assert gpu.admin_edited_fields == ["memory_type"]


def test_use_cases_are_reordered_from_the_list(staff_client, loaded_catalog):
    url = reverse("admin:catalog_usecase_changelist")
    cases = list(UseCase.objects.all())
    data = {
        "form-TOTAL_FORMS": str(len(cases)),
        "form-INITIAL_FORMS": str(len(cases)),
        "_save": "Save",
    }
    for i, case in enumerate(cases):
        data[f"form-{i}-id"] = case.id
        data[f"form-{i}-position"] = case.position
        data[f"form-{i}-is_headline"] = "on" if case.is_headline else ""
    data["form-0-position"] = 42
    response = staff_client.post(url, data)
    assert response.status_code == 302
    moved = UseCase.objects.get(pk=cases[0].pk)
    assert moved.position == 42
    assert moved.admin_edited_fields == ["position"]


def test_future_release_date_is_rejected_relative_to_today(loaded_catalog):
    from django.core.exceptions import ValidationError

    gpu = Gpu.objects.get(slug="nvidia-l4")
    gpu.release_date = datetime.date.today() + datetime.timedelta(days=2)
    with pytest.raises(ValidationError, match="future"):
        gpu.full_clean()


def browser_form_data(gpu: Gpu, **overrides) -> dict:
    """The change form as a browser posts it: every textarea's lines end in CRLF."""
    data = change_form_data(gpu, **overrides)
    return {
        name: value.replace("\n", "\r\n") if isinstance(value, str) else value
        for name, value in data.items()
    }


def test_editing_only_memory_records_only_memory_though_the_notes_come_back_with_crlf(
    staff_client, loaded_catalog
):
    gpu = Gpu.objects.get(slug="nvidia-geforce-rtx-3090")
    notes = gpu.spec_notes
    assert "\n" in notes
    url = reverse("admin:catalog_gpu_change", args=[gpu.pk])
    response = staff_client.post(url, browser_form_data(gpu, memory_gb="24.5"))
    assert response.status_code == 302
    gpu.refresh_from_db()
    assert gpu.admin_edited_fields == ["memory_gb"]
    assert gpu.spec_notes == notes  # stored with LF line endings, as before
    assert gpu.memory_gb == 24.5


def test_a_figure_typed_differently_but_equal_is_no_edit(staff_client, loaded_catalog):
    gpu = Gpu.objects.get(slug="nvidia-geforce-rtx-3090")
    url = reverse("admin:catalog_gpu_change", args=[gpu.pk])
    response = staff_client.post(
        url, browser_form_data(gpu, memory_gb="24.000", fp32_tflops=f"{gpu.fp32_tflops}0")
    )
    assert response.status_code == 302
    gpu.refresh_from_db()
    assert gpu.admin_edited_fields == []


def test_the_learn_page_summary_follows_an_edit_of_the_memory(staff_client, loaded_catalog):
    gpu = Gpu.objects.get(slug="nvidia-geforce-rtx-3090")
    assert "24 GB of memory" in gpu.summary
    url = reverse("admin:catalog_gpu_change", args=[gpu.pk])
    staff_client.post(url, browser_form_data(gpu, memory_gb="24.5"))

    html = staff_client.get(gpu.get_absolute_url()).content.decode()
    lede = html.split('<p class="lede">', 1)[1].split("</p>", 1)[0]
    assert "with 24.5 GB of memory" in lede
    assert "24 GB" not in lede
    gpu.refresh_from_db()
    assert gpu.admin_edited_fields == ["memory_gb"]


def test_a_summary_an_admin_wrote_is_kept_when_the_memory_changes(staff_client, loaded_catalog):
    gpu = Gpu.objects.get(slug="nvidia-geforce-rtx-3090")
    url = reverse("admin:catalog_gpu_change", args=[gpu.pk])
    staff_client.post(url, browser_form_data(gpu, summary="The 2020 flagship.\nStill sought."))
    gpu.refresh_from_db()
    assert gpu.summary == "The 2020 flagship.\nStill sought."
    staff_client.post(url, browser_form_data(gpu, memory_gb="24.5"))
    gpu.refresh_from_db()
    assert gpu.summary == "The 2020 flagship.\nStill sought."
    assert gpu.admin_edited_fields == ["memory_gb", "summary"]
