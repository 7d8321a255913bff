"""eBay's marketplace account deletion endpoint: the challenge, signed notices, forgetting the
seller; eBay's OAuth and Notification API stubbed with `responses`."""

import base64
import hashlib
import json

import pytest
import responses
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.urls import reverse

from listings.ingest import ingest_items, new_run_id
from listings.models import Listing
from listings.summaries import seller_key
from tests.listings.conftest import make_item

pytestmark = pytest.mark.django_db

TOKEN = "shopagent-verification-token-0123456789"
KEY_ID = "99cd4a8e-2bd0-4e2e-8b4a-7f4bb6a1c6f3"
PUBLIC_KEY_URL = f"https://api.ebay.test/commerce/notification/v1/public_key/{KEY_ID}"
ENDPOINT = "https://shopagent.test/ebay/account-deletion/"


@pytest.fixture(autouse=True)
def _token_set(settings):
    settings.EBAY_VERIFICATION_TOKEN = TOKEN


@pytest.fixture(scope="module")
def signing_key():
    return ec.generate_private_key(ec.SECP256R1())


def pem_on_one_line(private_key) -> str:
    """The public key as getPublicKey gives it: PEM armour with the base64 on one line."""
    der = private_key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return f"-----BEGIN PUBLIC KEY-----{base64.b64encode(der).decode()}-----END PUBLIC KEY-----"


@pytest.fixture
def public_key(http, token, signing_key):
    return http.add(
        responses.GET,
        PUBLIC_KEY_URL,
        json={"algorithm": "ECDSA", "digest": "SHA1", "key": pem_on_one_line(signing_key)},
    )


def notice(username, *, topic="MARKETPLACE_ACCOUNT_DELETION") -> bytes:
    body = {
        "metadata": {"topic": topic, "schemaVersion": "1.0", "deprecated": False},
        "notification": {
            "notificationId": "49feeaeb-4982-42d9-a377-9645b8479411_33f7e043-fed8-442b-9d44",
            "eventDate": "2026-12-01T10:00:00.000Z",
            "publishDate": "2026-12-01T10:00:05.000Z",
            "publishAttemptCount": 1,
            "data": {"username": username, "userId": "ma8vp1jySJC", "eiasToken": "nY+sHZ2P"},
        },
    }
    return json.dumps(body, separators=(",", ":")).encode()


def sign(body: bytes, private_key, *, key_id=KEY_ID) -> str:
    signature = private_key.sign(body, ec.ECDSA(hashes.SHA1()))  # noqa: S303 - as eBay signs
    header = {
        "alg": "ecdsa",
        "kid": key_id,
        "signature": base64.b64encode(signature).decode(),
        "digest": "SHA1",
    }
    return base64.b64encode(json.dumps(header).encode()).decode()


def post(client, body, signature):
    return client.post(
        reverse("listings:account-deletion"),
        data=body,
        content_type="application/json",
        headers={"X-EBAY-SIGNATURE": signature},
    )


@pytest.fixture
def stored(rtx4090):
    """Two of one seller's listings and one of another's, stored through the import path."""
    items = [
        make_item(1, "NVIDIA GeForce RTX 4090 24GB", seller={"username": "GoneSeller"}),
        make_item(2, "ASUS TUF RTX 4090 24GB", seller={"username": "goneseller"}),
        make_item(3, "MSI RTX 4090 Suprim 24GB", seller={"username": "stays"}),
    ]
    for item in items:
        item["seller"].update(feedbackPercentage="99.9", feedbackScore=4000)
    ingest_items(gpu=rtx4090, items=items, source="import", run_id=new_run_id())
    return items


def test_answers_ebays_challenge_with_the_hash_of_code_token_and_endpoint(client):
    response = client.get(reverse("listings:account-deletion"), {"challenge_code": "a8628072"})

    expected = hashlib.sha256(f"a8628072{TOKEN}{ENDPOINT}".encode()).hexdigest()
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"challengeResponse": expected}


def test_a_challenge_without_a_code_or_with_two_is_refused(client):
    url = reverse("listings:account-deletion")
    assert client.get(url).status_code == 400
    assert client.get(f"{url}?challenge_code=1&challenge_code=2").json() == {
        "error": "challenge_code: given more than once"
    }


def test_is_not_found_until_a_verification_token_is_set(client, settings):
    settings.EBAY_VERIFICATION_TOKEN = ""
    url = reverse("listings:account-deletion")
    assert client.get(url, {"challenge_code": "x"}).status_code == 404
    assert client.post(url, data=notice("x"), content_type="application/json").status_code == 404


def test_the_seller_key_is_a_keyed_hash_never_the_username(stored):
    keys = set(Listing.objects.values_list("seller_key", flat=True))

    assert keys == {seller_key("GoneSeller"), seller_key("stays")}  # usernames ignore case
    assert len(keys) == 2 and all(len(key) == 64 for key in keys)
    for listing in Listing.objects.all():
        assert "goneseller" not in json.dumps(listing.raw).lower()
        assert "username" not in listing.raw["seller"]


def test_a_signed_deletion_notice_forgets_the_seller_at_once(
    client, stored, public_key, signing_key
):
    body = notice("GoneSeller")
    response = post(client, body, sign(body, signing_key))

    assert response.status_code == 204
    keys = dict(Listing.objects.values_list("title", "seller_key"))
    assert keys["NVIDIA GeForce RTX 4090 24GB"] == keys["ASUS TUF RTX 4090 24GB"] == ""
    assert keys["MSI RTX 4090 Suprim 24GB"] == seller_key("stays")
    assert Listing.objects.count() == 3  # the listings stay, without their seller


def test_the_public_key_is_fetched_once_for_many_notices(client, stored, public_key, signing_key):
    for username in ("GoneSeller", "someone-else", "stays"):
        body = notice(username)
        assert post(client, body, sign(body, signing_key)).status_code == 204

    assert public_key.call_count == 1
    assert not Listing.objects.exclude(seller_key="").exists()


def test_a_notice_signed_by_another_key_changes_nothing(client, stored, public_key):
    body = notice("GoneSeller")
    forged = sign(body, ec.generate_private_key(ec.SECP256R1()))

    response = post(client, body, forged)

    assert response.status_code == 412
    assert Listing.objects.filter(seller_key=seller_key("GoneSeller")).count() == 2


def test_a_tampered_notice_changes_nothing(client, stored, public_key, signing_key):
    signed = sign(notice("someone-else"), signing_key)

    response = post(client, notice("GoneSeller"), signed)

    assert response.status_code == 412
    assert Listing.objects.filter(seller_key=seller_key("GoneSeller")).count() == 2


@pytest.mark.parametrize(
    "header",
    ["", "not base64!", base64.b64encode(b"[1, 2]").decode(), base64.b64encode(b"{}").decode()],
)
def test_a_missing_or_unreadable_signature_is_refused(client, stored, public_key, header):
    assert post(client, notice("GoneSeller"), header).status_code == 412
    assert public_key.call_count == 0


def test_a_body_that_is_no_notice_is_refused(client, public_key, signing_key):
    body = b'{"hello": "world"}'
    assert post(client, body, sign(body, signing_key)).status_code == 412


def test_another_topic_is_acknowledged_and_ignored(client, stored, public_key, signing_key):
    body = notice("GoneSeller", topic="ITEM_PRICE_REVISION")

    assert post(client, body, sign(body, signing_key)).status_code == 204
    assert Listing.objects.filter(seller_key=seller_key("GoneSeller")).count() == 2


def test_ebay_out_of_reach_is_a_503_so_ebay_sends_the_notice_again(
    client, stored, http, token, signing_key
):
    http.add(responses.GET, PUBLIC_KEY_URL, status=500)
    body = notice("GoneSeller")

    response = post(client, body, sign(body, signing_key))

    assert response.status_code == 503
    assert Listing.objects.filter(seller_key=seller_key("GoneSeller")).count() == 2
