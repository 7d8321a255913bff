"""Search engines hear about changed pages through IndexNow, against a stub of the endpoint."""

import json
import logging
from io import StringIO

import pytest
import requests
import responses
from django.core.management import CommandError, call_command
from django.test import override_settings
from django.urls import reverse

from catalog.models import Gpu
from metrics import indexnow
from metrics.models import PageChange
from tests.factories import make_gpu
from tests.listings.conftest import SEARCH_URL, TOKEN_URL, load, make_item

ENDPOINT = "https://indexnow.test/indexnow"
KEY = "0f3c5d7e9a1b2c4d"
SITE = "https://shopagent.test"
ON = override_settings(INDEXNOW_KEY=KEY, INDEXNOW_ENDPOINT=ENDPOINT)


@pytest.fixture
def http():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


def submitted(http) -> list[dict]:
    """The JSON bodies the stub endpoint received, in order."""
    return [json.loads(call.request.body) for call in http.calls if call.request.url == ENDPOINT]


def card_pages(slug):
    return {
        SITE + reverse("metrics:shop-gpu", kwargs={"slug": slug}),
        SITE + reverse("metrics:learn-gpu", kwargs={"slug": slug}),
    }


@pytest.mark.django_db
def test_the_key_file_is_served_at_the_site_root_only_for_the_configured_key(client):
    with ON:
        response = client.get(f"/{KEY}.txt")
        assert response.status_code == 200
        assert response.content.decode() == KEY
        assert response["Content-Type"].startswith("text/plain")
        assert client.get("/0000000000000000.txt").status_code == 404
    assert client.get(f"/{KEY}.txt").status_code == 404  # off: no key file at all


def test_a_malformed_key_is_refused_when_the_settings_load(monkeypatch):
    import importlib

    from django.core.exceptions import ImproperlyConfigured

    import shopagent.settings.base as base

    monkeypatch.setenv("INDEXNOW_KEY", "short")
    with pytest.raises(ImproperlyConfigured, match="INDEXNOW_KEY must be 8 to 128"):
        importlib.reload(base)
    monkeypatch.delenv("INDEXNOW_KEY")
    importlib.reload(base)


@pytest.fixture
def ebay(http):
    """eBay answering a refresh of two cards: three RTX 4090 listings, nothing for the T4."""
    http.add(responses.POST, TOKEN_URL, json=load("ebay_token.json"))
    items = [
        make_item(1, "NVIDIA GeForce RTX 4090 Founders Edition 24GB", "1650.00"),
        make_item(2, "ASUS TUF RTX 4090 OC 24GB GDDR6X", "1720.00"),
    ]
    http.add(
        responses.GET,
        SEARCH_URL,
        json={"total": 2, "itemSummaries": items},
        match=[
            responses.matchers.query_param_matcher(
                {"q": "NVIDIA GeForce RTX 4090"}, strict_match=False
            )
        ],
    )
    http.add(responses.GET, SEARCH_URL, json={"total": 0})
    make_gpu("nvidia-geforce-rtx-4090", label="NVIDIA GeForce RTX 4090", memory_gb=24)
    make_gpu("nvidia-t4", label="NVIDIA T4", memory_gb=16)
    return http


def refresh():
    call_command("refresh_listings", stdout=StringIO(), stderr=StringIO())


@pytest.mark.django_db(transaction=True)
def test_a_refresh_submits_the_pages_it_changed_in_one_batch(ebay):
    ebay.add(responses.POST, ENDPOINT, status=200)
    with ON:
        refresh()

    (body,) = submitted(ebay)
    assert body["host"] == "shopagent.test"
    assert body["key"] == KEY
    assert body["keyLocation"] == f"{SITE}/{KEY}.txt"
    urls = set(body["urlList"])
    assert card_pages("nvidia-geforce-rtx-4090") <= urls
    assert not card_pages("nvidia-t4") & urls  # its listings did not change
    assert SITE + reverse("metrics:home") in urls
    assert SITE + reverse("metrics:cost-per-spec", args=["fp32-flops"]) in urls
    assert not PageChange.objects.exists()  # all sent


@pytest.mark.django_db(transaction=True)
def test_nothing_is_queued_or_sent_without_a_key(ebay):
    refresh()
    assert submitted(ebay) == []
    assert not PageChange.objects.exists()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("failure", [{"status": 500}, {"status": 429}, {"status": 422}])
def test_a_failed_submission_is_logged_and_kept_and_the_refresh_still_succeeds(
    ebay, caplog, failure
):
    ebay.add(responses.POST, ENDPOINT, **failure)
    with ON, caplog.at_level(logging.WARNING, logger="metrics.indexnow"):
        refresh()  # raises CommandError if the run failed

    assert Gpu.objects.get(slug="nvidia-geforce-rtx-4090").listings.count() == 2
    assert "IndexNow submission failed" in caplog.text
    queued = set(PageChange.objects.values_list("url", flat=True))
    assert card_pages("nvidia-geforce-rtx-4090") <= queued

    ebay.replace(responses.POST, ENDPOINT, status=200)
    with ON:
        report = indexnow.submit_changed_pages()
    assert report.submitted == len(queued) and report.failed == 0
    assert set(submitted(ebay)[-1]["urlList"]) == queued
    assert not PageChange.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_an_unreachable_endpoint_never_fails_the_refresh(ebay):
    ebay.add(responses.POST, ENDPOINT, body=requests.ConnectionError("refused"))
    with ON:
        refresh()
    assert PageChange.objects.exists()


@pytest.mark.django_db
def test_pages_are_sent_in_batches_of_at_most_the_batch_size(http, monkeypatch):
    monkeypatch.setattr(indexnow, "BATCH_SIZE", 4)
    http.add(responses.POST, ENDPOINT, status=202)
    for n in range(10):
        PageChange.objects.create(url=f"{SITE}/ml/page-{n}/", changed_at="2026-12-01T00:00Z")
    with ON:
        report = indexnow.submit_changed_pages()
    assert [len(body["urlList"]) for body in submitted(http)] == [4, 4, 2]
    assert report.submitted == 10


@pytest.mark.django_db
def test_a_failed_batch_keeps_it_and_the_rest_queued(http, monkeypatch):
    monkeypatch.setattr(indexnow, "BATCH_SIZE", 4)
    http.add(responses.POST, ENDPOINT, status=200)
    http.add(responses.POST, ENDPOINT, status=503)
    for n in range(10):
        PageChange.objects.create(url=f"{SITE}/ml/page-{n}/", changed_at="2026-12-01T00:00Z")
    with ON:
        report = indexnow.submit_changed_pages()
    assert (report.submitted, report.failed, report.error) == (4, 6, "HTTP 503")
    assert PageChange.objects.count() == 6


@pytest.mark.django_db(transaction=True)
def test_an_admin_edit_queues_its_pages_and_the_next_command_sends_them(
    http, client, django_user_model
):
    card = make_gpu("nvidia-geforce-rtx-3090", label="NVIDIA GeForce RTX 3090", memory_gb=24)
    other = make_gpu("nvidia-tesla-p40", label="NVIDIA Tesla P40", memory_gb=24)
    user = django_user_model.objects.create_user(
        "editor", "e@example.com", "pw", is_staff=True, is_superuser=True
    )
    client.force_login(user)
    http.add(responses.POST, ENDPOINT, status=200)
    from tests.catalog.test_admin import change_form_data

    with ON:
        response = client.post(
            reverse("admin:catalog_gpu_change", args=[card.pk]),
            change_form_data(card, fp32_tflops="35.6"),
        )
        assert response.status_code == 302
        assert submitted(http) == []  # the admin request made no call
        queued = set(PageChange.objects.values_list("url", flat=True))
        assert card_pages(card.slug) <= queued
        assert not card_pages(other.slug) & queued

        out = StringIO()
        call_command("submit_indexnow", stdout=out)
    assert set(submitted(http)[0]["urlList"]) == queued
    assert f"{len(queued)} page(s) submitted" in out.getvalue()


@pytest.mark.django_db
def test_submit_command_exits_non_zero_when_the_endpoint_refuses(http):
    http.add(responses.POST, ENDPOINT, status=403)
    PageChange.objects.create(url=f"{SITE}/ml/", changed_at="2026-12-01T00:00Z")
    with ON, pytest.raises(CommandError, match="HTTP 403"):
        call_command("submit_indexnow", stdout=StringIO())
    assert PageChange.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_recompute_rankings_submits_every_card_page(http):
    make_gpu("nvidia-geforce-rtx-3090", label="NVIDIA GeForce RTX 3090", memory_gb=24)
    make_gpu("nvidia-tesla-p40", label="NVIDIA Tesla P40", memory_gb=24)
    http.add(responses.POST, ENDPOINT, status=200)
    with ON:
        call_command("recompute_rankings", stdout=StringIO())
    urls = set(submitted(http)[0]["urlList"])
    assert card_pages("nvidia-geforce-rtx-3090") | card_pages("nvidia-tesla-p40") <= urls
