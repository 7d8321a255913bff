"""eBay marketplace account deletion notices: the endpoint's challenge answer, the notice's
signature check, and forgetting the seller.

eBay requires every application that keeps data about its users to take these notices. ShopAgent
keeps one thing per seller: a keyed hash of the username on each of its listings
(listings.summaries.seller_key), so one seller's batch counts once in the going rate. A verified
notice blanks that key on every stored listing; nothing else identifies a seller.

How eBay signs a notice (the Notification API): the X-EBAY-SIGNATURE header is base64 of a JSON
object {"alg": "ecdsa", "kid": key id, "signature": base64 DER signature, "digest": "SHA1"}; the
key id's public key comes from the Notification API's getPublicKey (listings.ebay, cached), and
the signature is ECDSA over the notice's JSON body.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import logging
import re
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import load_der_public_key
from django.db import transaction

from listings.ebay import PublicKey, notification_public_key
from listings.ingest import notify_listings_changed
from listings.models import Listing
from listings.summaries import seller_key
from shopagent.cache import bump_generation

logger = logging.getLogger(__name__)

TOPIC = "MARKETPLACE_ACCOUNT_DELETION"
MAX_NOTICE_BYTES = 64 * 1024  # eBay's notices are a few hundred bytes
DIGESTS = {"SHA1": hashes.SHA1, "SHA256": hashes.SHA256}
_PEM_BODY = re.compile(r"-----BEGIN PUBLIC KEY-----(.*?)-----END PUBLIC KEY-----", re.DOTALL)


class BadNotice(ValueError):
    """A notice that is not one eBay could have sent: malformed, or its signature fails."""


@dataclass(frozen=True)
class Signature:
    key_id: str
    signature: bytes
    digest: str


def challenge_response(*, challenge_code: str, verification_token: str, endpoint: str) -> str:
    """What eBay expects back when it checks the endpoint: hex SHA-256 of the challenge code,
    the verification token and the endpoint's URL, in that order."""
    # Reference: https://developer.ebay.com/marketplace-account-deletion
    digest = hashlib.sha256()
    for part in (challenge_code, verification_token, endpoint):
        digest.update(part.encode())
    return digest.hexdigest()


def read_signature(header: str) -> Signature:
    """The X-EBAY-SIGNATURE header's key id, signature and digest; raises BadNotice."""
    try:
        fields = json.loads(base64.b64decode(header, validate=True))
        signature = base64.b64decode(fields["signature"], validate=True)
        key_id, digest = fields["kid"], str(fields.get("digest") or "SHA1").upper()
    except (ValueError, TypeError, KeyError, binascii.Error) as exc:
        raise BadNotice("unreadable X-EBAY-SIGNATURE header") from exc
    if str(fields.get("alg", "ecdsa")).lower() != "ecdsa" or not isinstance(key_id, str):
        raise BadNotice("X-EBAY-SIGNATURE is not an ECDSA signature with a key id")
    if digest not in DIGESTS:
        raise BadNotice(f"unknown digest {digest[:20]!r}")
    return Signature(key_id=key_id, signature=signature, digest=digest)


def verify(*, body: bytes, signature: Signature, key: PublicKey) -> None:
    """Raise BadNotice unless eBay's key signed the body.

    The raw body is checked first; eBay's own SDKs check the notice re-serialised as compact
    JSON, so that form is accepted too."""
    match = _PEM_BODY.search(key.key)
    try:
        public_key = load_der_public_key(base64.b64decode("".join(match.group(1).split())))
    except (AttributeError, ValueError, binascii.Error) as exc:
        raise BadNotice("eBay's public key cannot be read") from exc
    if not isinstance(public_key, ec.EllipticCurvePublicKey):
        raise BadNotice("eBay's public key is not an elliptic-curve key")
    digest = DIGESTS.get(key.digest.upper(), DIGESTS[signature.digest])
    compact = json.dumps(json.loads(body), separators=(",", ":"), ensure_ascii=False).encode()
    for message in dict.fromkeys((body, compact)):
        try:
            public_key.verify(signature.signature, message, ec.ECDSA(digest()))
            return
        except InvalidSignature:
            continue
    raise BadNotice("the signature does not match eBay's key")


def read_notice(body: bytes) -> dict:
    """The notice as JSON, with its topic and data; raises BadNotice."""
    if len(body) > MAX_NOTICE_BYTES:
        raise BadNotice("notice too large")
    try:
        notice = json.loads(body)
        topic = notice["metadata"]["topic"]
        data = notice["notification"]["data"]
    except (ValueError, TypeError, KeyError) as exc:
        raise BadNotice("not an eBay notification") from exc
    if not isinstance(topic, str) or not isinstance(data, dict):
        raise BadNotice("not an eBay notification")
    return notice


def handle_notice(*, body: bytes, signature_header: str) -> int:
    """Check one notice and, for an account deletion, forget the seller; the number of listings
    whose seller key was removed. Raises BadNotice, or EbayError when eBay's key is out of
    reach."""
    notice = read_notice(body)
    signature = read_signature(signature_header)
    verify(body=body, signature=signature, key=notification_public_key(signature.key_id))
    if notice["metadata"]["topic"] != TOPIC:
        return 0
    return forget_seller(username=notice["notification"]["data"].get("username"))


def forget_seller(*, username) -> int:
    """Blank one seller's key on every stored listing; their cards' going rates are recomputed."""
    key = seller_key(username)
    if not key:
        return 0
    listings = Listing.objects.filter(seller_key=key)
    with transaction.atomic():
        gpu_ids = set(listings.values_list("gpu_id", flat=True))
        removed = listings.update(seller_key="")
        notify_listings_changed(gpu_ids=gpu_ids, source="account-deletion")
        transaction.on_commit(bump_generation)
    logger.info("eBay account deletion: seller key removed from %d listings", removed)
    return removed
