"""Cloud offers: the cited fixtures, each card's median on-demand rent, and the CSV import."""

import json
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from catalog.cloud_offers import card_offers, on_demand_rents
from catalog.loader import default_fixtures_dir
from catalog.models import CloudOffer, Gpu
from catalog.signals import catalog_changed
from tests.factories import make_gpu

HEADER = "gpu,provider,kind,usd_per_gpu_hour,observed_on,source_url,instance,note\n"
# The cards the site must price to rent, by their catalog slugs.
NAMED_CARDS = (
    "nvidia-geforce-rtx-3090",
    "nvidia-geforce-rtx-4090",
    "nvidia-geforce-rtx-5090",
    "nvidia-rtx-a6000",
    "nvidia-l40s",
    "nvidia-a100-sxm-40gb",
    "nvidia-a100-sxm",
    "nvidia-h100-pcie",
    "nvidia-h100-sxm",
    "nvidia-h200-sxm",
    "amd-instinct-mi300x",
    "nvidia-l4",
    "nvidia-t4",
    "nvidia-tesla-v100-sxm2-16gb",
)


def _fixture_offers() -> list[dict]:
    return json.loads((default_fixtures_dir() / "cloud_offers.json").read_text(encoding="utf-8"))


def test_every_named_card_has_dated_sourced_offers_from_several_providers():
    offers = _fixture_offers()
    slugs = {
        card["slug"] for card in json.loads((default_fixtures_dir() / "gpus.json").read_text())
    }
    assert {offer["gpu"] for offer in offers} <= slugs
    for slug in NAMED_CARDS:
        mine = [offer for offer in offers if offer["gpu"] == slug]
        assert len({offer["provider"] for offer in mine}) >= 3, slug
        assert any(offer["kind"] == "on-demand" for offer in mine), slug
    for offer in offers:
        assert offer["source_url"].startswith("https://"), offer
        assert date(2023, 1, 1) <= date.fromisoformat(offer["observed_on"]) <= date.today()
        assert 0 < Decimal(offer["usd_per_gpu_hour"]) < 20, offer
    assert len({offer["provider"] for offer in offers}) >= 4


def test_multi_gpu_instance_prices_are_per_gpu_and_say_so():
    p5 = next(o for o in _fixture_offers() if o["instance"] == "p5.48xlarge")
    assert Decimal(p5["usd_per_gpu_hour"]) == Decimal("55.04") / 8
    assert "divided by 8" in p5["note"]


def test_the_rent_is_the_median_of_on_demand_offers_only(db):
    gpu = make_gpu()
    for provider, kind, price in [
        ("A", "on-demand", "0.80"),
        ("B", "on-demand", "1.00"),
        ("C", "on-demand", "1.50"),
        ("D", "on-demand", "3.10"),
        ("E", "spot", "0.20"),
        ("F", "community", "0.30"),
    ]:
        CloudOffer.objects.create(
            gpu=gpu,
            provider=provider,
            kind=kind,
            usd_per_gpu_hour=price,
            observed_on=date(2025, 11, 1),
            source_url="https://example.com/pricing",
        )
    rent = on_demand_rents()[gpu.pk]
    assert rent.median == Decimal("1.25")  # (1.00 + 1.50) / 2; spot and marketplace left out
    assert rent.offers == 4
    assert [o.provider for o in card_offers(gpu_id=gpu.pk)] == ["A", "B", "C", "D", "E", "F"]


def test_a_card_without_an_on_demand_offer_has_no_rent(db):
    gpu = make_gpu()
    CloudOffer.objects.create(
        gpu=gpu,
        provider="Vast.ai",
        kind="community",
        usd_per_gpu_hour="0.40",
        observed_on=date(2025, 11, 1),
        source_url="https://vast.ai/",
    )
    assert gpu.pk not in on_demand_rents()


def _import(tmp_path, text, *args, encoding="utf-8"):
    path = tmp_path / "offers.csv"
    path.write_bytes(text.encode(encoding) if isinstance(text, str) else text)
    out, err = _Buffer(), _Buffer()
    call_command("import_cloud_offers", str(path), *args, stdout=out, stderr=err)
    return out.value, err.value


class _Buffer:
    def __init__(self):
        self.value = ""

    def write(self, text):
        self.value += text

    def flush(self):
        pass


@pytest.fixture
def cards(db):
    return make_gpu("nvidia-l4", label="NVIDIA L4"), make_gpu("nvidia-t4", label="NVIDIA T4")


def test_import_creates_and_updates_offers_by_card_provider_kind_and_instance(tmp_path, cards):
    rows = (
        "nvidia-l4,Google Cloud,on-demand,0.71,2025-11-03,https://cloud.google.com/x,"
        "g2-standard-4,one L4\n"
        'nvidia-t4,AWS,on-demand,"$0.526",2025-11-03,https://aws.amazon.com/x,g4dn.xlarge,\n'
    )
    out, err = _import(tmp_path, HEADER + rows)
    assert "2 created, 0 updated, 0 unchanged, 0 rejected" in out and not err
    offer = CloudOffer.objects.get(provider="AWS")
    assert offer.gpu.slug == "nvidia-t4" and offer.usd_per_gpu_hour == Decimal("0.526")
    assert offer.observed_on == date(2025, 11, 3) and offer.instance == "g4dn.xlarge"

    cheaper = rows.replace("0.71,2025-11-03", "0.65,2025-12-01")
    out, _ = _import(tmp_path, HEADER + cheaper)
    assert "0 created, 1 updated, 1 unchanged" in out
    assert CloudOffer.objects.get(provider="Google Cloud").usd_per_gpu_hour == Decimal("0.65")


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        (
            "no-such-card,X,on-demand,1,2025-11-01,https://x.example/,,",
            "gpu “no-such-card”: no card",
        ),
        (
            "nvidia-l4,X,ondemand,1,2025-11-01,https://x.example/,,",
            "kind “ondemand”: choose one of",
        ),
        ("nvidia-l4,X,spot,abc,2025-11-01,https://x.example/,,", "“abc”: not a number"),
        ("nvidia-l4,X,spot,1e2,2025-11-01,https://x.example/,,", "“1e2”: not a number"),
        ("nvidia-l4,X,spot,1_0,2025-11-01,https://x.example/,,", "“1_0”: not a number"),
        ("nvidia-l4,X,spot,0,2025-11-01,https://x.example/,,", "must be above zero"),
        ("nvidia-l4,X,spot,-2,2025-11-01,https://x.example/,,", "must be above zero"),
        ("nvidia-l4,X,spot,1001,2025-11-01,https://x.example/,,", "over $1,000 a GPU-hour"),
        ("nvidia-l4,X,spot,0.123456,2025-11-01,https://x.example/,,", "more than 4 decimal"),
        ("nvidia-l4,X,spot,1,11/01/2025,https://x.example/,,", "not a date (YYYY-MM-DD)"),
        ("nvidia-l4,X,spot,1,2025-02-30,https://x.example/,,", "not a date (YYYY-MM-DD)"),
        ("nvidia-l4,X,spot,1,2009-12-31,https://x.example/,,", "before 2010"),
        ("nvidia-l4,X,spot,1,2025-11-01,javascript:alert(1),,", "not an http:// or https://"),
        ("nvidia-l4,,spot,1,2025-11-01,https://x.example/,,", "provider is empty"),
        ("nvidia-l4,X,spot,1,2025-11-01,https://x.example/", "wrong number of cells"),
        ("nvidia-l4,X,spot,1,2025-11-01,https://x.example/,,,extra", "wrong number of cells"),
    ],
)
def test_a_bad_row_is_rejected_with_its_line_and_reason_and_the_rest_imported(
    tmp_path, cards, row, reason
):
    good = "nvidia-t4,AWS,on-demand,0.526,2025-11-03,https://aws.amazon.com/x,g4dn.xlarge,\n"
    out, err = _import(tmp_path, HEADER + good + row + "\n")
    (rejected,) = err.splitlines()
    assert rejected.startswith("Rejected line 3: ") and reason in rejected
    assert "1 created, 0 updated, 0 unchanged, 1 rejected" in out
    assert list(CloudOffer.objects.values_list("provider", flat=True)) == ["AWS"]


def test_a_date_in_the_future_and_a_repeated_offer_are_rejected(tmp_path, cards):
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    row = "nvidia-l4,X,spot,1,2025-11-01,https://x.example/,,\n"
    text = HEADER + row + row + f"nvidia-l4,Y,spot,1,{tomorrow},https://x.example/,,\n"
    _, err = _import(tmp_path, text)
    assert "Rejected line 3: repeats the offer on line 2" in err
    assert f"Rejected line 4: observed_on “{tomorrow}”: in the future" in err
    assert CloudOffer.objects.count() == 1


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "no header row"),
        (HEADER, "no offers: the file has a header and no rows"),
        ("gpu,provider,kind,price\nnvidia-l4,X,spot,1\n", "missing columns usd_per_gpu_hour"),
        (HEADER.replace("note", "notes"), "unknown column notes"),
        ("gpu,gpu,provider,kind,usd_per_gpu_hour,observed_on,source_url\n", "repeated column gpu"),
        ("nvidia-l4,X,spot,1,2025-11-01,https://x.example/\n", "missing columns"),
        (HEADER + 'nvidia-l4,X,spot,1,2025-11-01,https://x.example/,"open quote\n', "not valid"),
        (b"\xff\xfe" + "gpu,provider".encode("utf-16-le"), "not UTF-8"),
        (HEADER + "nvidia-l4,X,spot,abc,2025-11-01,https://x.example/,,\n", "every row"),
    ],
)
def test_a_bad_file_writes_nothing(tmp_path, cards, content, message):
    CloudOffer.objects.create(
        gpu=cards[0],
        provider="Kept",
        kind="on-demand",
        usd_per_gpu_hour="0.70",
        observed_on=date(2025, 1, 1),
        source_url="https://kept.example/",
    )
    with pytest.raises(CommandError, match=message):
        _import(tmp_path, content)
    assert list(CloudOffer.objects.values_list("provider", flat=True)) == ["Kept"]


def test_a_dry_run_reports_and_writes_nothing(tmp_path, cards):
    row = "nvidia-l4,Google Cloud,on-demand,0.71,2025-11-03,https://cloud.google.com/x,,\n"
    out, _ = _import(tmp_path, HEADER + row, "--dry-run")
    assert "1 created" in out and "Dry run: nothing was written." in out
    assert not CloudOffer.objects.exists()


def test_the_catalog_loads_the_offers_and_keeps_an_admin_edit(loaded_catalog):
    l4 = Gpu.objects.get(slug="nvidia-l4")
    gcp = l4.cloud_offers.get(provider="Google Cloud")
    assert gcp.usd_per_gpu_hour == Decimal("0.71") and gcp.kind == "on-demand"
    gcp.usd_per_gpu_hour, gcp.admin_edited_fields = Decimal("0.66"), ["usd_per_gpu_hour"]
    gcp.save()
    call_command("load_catalog", stdout=_Buffer())
    assert l4.cloud_offers.get(provider="Google Cloud").usd_per_gpu_hour == Decimal("0.66")
    assert CloudOffer.objects.count() == len(_fixture_offers())


def test_an_editor_corrects_an_offer_in_the_admin_and_the_card_s_rent_follows(
    staff_client, loaded_catalog, django_capture_on_commit_callbacks
):
    l4 = Gpu.objects.get(slug="nvidia-l4")
    assert on_demand_rents()[l4.pk].median == Decimal("0.855")  # $0.40, 0.71, 1.00, 1.00
    gcp = l4.cloud_offers.get(provider="Google Cloud")
    url = reverse("admin:catalog_cloudoffer_change", args=[gcp.pk])
    form = {
        "gpu": l4.pk,
        "provider": gcp.provider,
        "kind": gcp.kind,
        "instance": gcp.instance,
        "usd_per_gpu_hour": "-1",
        "observed_on": "2025-11-03",
        "source_url": gcp.source_url,
        "note": gcp.note,
    }
    assert staff_client.get(url).status_code == 200
    refused = staff_client.post(url, form)
    assert refused.status_code == 200 and "errornote" in refused.content.decode()
    sent = []
    catalog_changed.connect(receiver := lambda sender, **kw: sent.append(kw))  # noqa: F841
    try:
        with django_capture_on_commit_callbacks(execute=True):
            response = staff_client.post(url, {**form, "usd_per_gpu_hour": "0.66"})
    finally:
        catalog_changed.disconnect(receiver)
    assert response.status_code == 302
    assert sent == [{"signal": catalog_changed, "source": "admin", "gpu_ids": [l4.pk]}]
    gcp.refresh_from_db()
    assert gcp.usd_per_gpu_hour == Decimal("0.66") and gcp.observed_on == date(2025, 11, 3)
    assert set(gcp.admin_edited_fields) == {"usd_per_gpu_hour", "observed_on"}
    assert on_demand_rents()[l4.pk].median == Decimal("0.83")  # $0.40, 0.66, 1.00, 1.00
