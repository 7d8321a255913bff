"""Price-alert fixtures: a card with listings and going rates, and readers for what a browser
and a mail client see (a page's forms, an email's links)."""

import re
from decimal import Decimal
from html.parser import HTMLParser

import pytest
from django.utils import timezone

from catalog.models import Gpu
from metrics.models import PriceAlert
from metrics.ranking import recompute_rankings
from tests.factories import make_listing


@pytest.fixture
def card(db):
    """An RTX 4090 with three used listings: a used going rate of $1,800."""
    gpu = Gpu.objects.create(
        slug="nvidia-geforce-rtx-4090",
        label="NVIDIA GeForce RTX 4090",
        manufacturer="NVIDIA",
        category="gaming",
        memory_gb=24,
        fp16_tflops=165.2,
        msrp_usd=Decimal("1599"),
    )
    for price in ("1750.00", "1800.00", "1850.00"):
        make_listing(gpu, price=price, title="NVIDIA GeForce RTX 4090 24GB Founders Edition")
    recompute_rankings()
    return gpu


@pytest.fixture
def confirmed_alert(card):
    """A confirmed alert on the card: used, at or under $1,600, confirmed an hour ago."""

    def make(email="buyer@example.com", target="1600.00", condition="used", **fields):
        now = timezone.now()
        values = {
            "email": email,
            "gpu": card,
            "target_price": Decimal(target),
            "condition": condition,
            "created_at": now - timezone.timedelta(hours=2),
            "confirmation_sent_at": now - timezone.timedelta(hours=2),
            "confirmed_at": now - timezone.timedelta(hours=1),
        }
        return PriceAlert.objects.create(**{**values, **fields})

    return make


class _Forms(HTMLParser):
    def __init__(self):
        super().__init__()
        self.forms: list[dict] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.forms.append(
                {"action": attrs.get("action"), "method": attrs.get("method"), "fields": {}}
            )
        elif tag == "input" and self.forms and attrs.get("name"):
            self.forms[-1]["fields"][attrs["name"]] = attrs.get("value") or ""


def page_form(html: str, action: str | None = None) -> dict:
    """The page's first POST form (posting to `action`, when given): action, method, fields."""
    parser = _Forms()
    parser.feed(html)
    found = [
        form
        for form in parser.forms
        if form["method"] == "post" and (action is None or form["action"] == action)
    ]
    assert found, f"no form posting to {action}"
    return found[0]


def text_part(message) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def html_part(message) -> str:
    return message.get_body(preferencelist=("html",)).get_content()


def link(message, kind: str) -> str:
    """The path of the email's /ml/alerts/<kind>/ link (its text part), checked absolute on
    SITE_URL."""
    found = re.search(rf"https://shopagent\.test(/ml/alerts/{kind}/[^/\s]+/)", text_part(message))
    assert found, f"no {kind} link in {text_part(message)}"
    return found.group(1)


def make_priced(gpu, price, *, observed_at=None, **fields):
    """A listing with its price observation, as ingestion stores both (observed now, unless
    said otherwise)."""
    from listings.models import PriceHistory

    listing = make_listing(gpu, price=price, title=f"{gpu.label} 24GB graphics card", **fields)
    PriceHistory.objects.create(
        listing=listing,
        observed_at=observed_at or timezone.now(),
        price=listing.price,
        currency=listing.currency,
        shipping_cost=listing.shipping_cost,
        quantity=listing.quantity,
        unit_price=listing.unit_price,
    )
    return listing
