"""The emails of price alerts, each with a plain-text and an HTML part from templates in
templates/metrics/email/: the confirmation (double opt-in), the reply to an address that asks
again for an alert it already has, and the alert itself. Every link is absolute on SITE_URL."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from urllib.parse import urlencode

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse

from catalog.presentation import absolute, money
from metrics.alerts.matching import CONDITION_KINDS, Owed
from metrics.alerts.tokens import CONFIRM, CONFIRM_DAYS, MANAGE, UNSUBSCRIBE, alert_link
from metrics.models import PriceAlert, Scope

MAX_LISTINGS = 10  # shown in one email, cheapest first; the rest are counted and linked
CONDITION_WORDS = {Scope.ALL: "in any condition", Scope.NEW: "new", Scope.USED: "used"}


@dataclass(frozen=True)
class AlertListing:
    """One listing as an alert email shows it."""

    title: str
    price: Decimal
    currency: str
    condition: str
    quantity: int
    link: str
    under_going_rate_pct: int | None


def shop_link(alert: PriceAlert) -> str:
    """The card's shop page filtered to the alert: its condition, at or under its target."""
    path = reverse("metrics:shop-gpu", kwargs={"slug": alert.gpu.slug})
    query = [("condition", kind) for kind in CONDITION_KINDS.get(alert.condition, ())]
    query.append(("price_max", f"{alert.target_price:f}"))
    return absolute(f"{path}?{urlencode(query)}")


def _one_line(text: str) -> str:
    return " ".join(text.split())  # a header never carries a line break


def _context(alert: PriceAlert) -> dict:
    return {
        "alert": alert,
        "card": alert.gpu.label,
        "target": money(alert.target_price),
        "condition": CONDITION_WORDS.get(alert.condition, ""),
        "shop_link": shop_link(alert),
        "manage_link": alert_link(alert.pk, MANAGE),
        "about_link": absolute(reverse("metrics:alerts-about")),
        "confirm_days": CONFIRM_DAYS,
    }


def _email(*, alert: PriceAlert, template: str, subject: str, context: dict, headers=None):
    text = render_to_string(f"metrics/email/{template}.txt", context)
    html = render_to_string(f"metrics/email/{template}.html", context)
    message = EmailMultiAlternatives(
        subject=_one_line(subject),
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[alert.email],
        headers={"Auto-Submitted": "auto-generated", **(headers or {})},
    )
    message.attach_alternative(html, "text/html")
    return message


def confirmation_email(alert: PriceAlert) -> EmailMultiAlternatives:
    context = {**_context(alert), "confirm_link": alert_link(alert.pk, CONFIRM)}
    return _email(
        alert=alert,
        template="alert_confirm",
        subject=f"Confirm your price alert for the {alert.gpu.label}",
        context=context,
    )


def existing_alert_email(alert: PriceAlert) -> EmailMultiAlternatives:
    """To an address that asked again for a card it already has a confirmed alert on: how to
    change it (the alert itself is only changed from the link)."""
    return _email(
        alert=alert,
        template="alert_existing",
        subject=f"Your price alert for the {alert.gpu.label}",
        context=_context(alert),
    )


def alert_email(
    *, alert: PriceAlert, owed: list[Owed], going_rate: Decimal | None
) -> EmailMultiAlternatives:
    """The alert: the cheapest new listings at or under the target, one-click unsubscribe."""
    unsubscribe = alert_link(alert.pk, UNSUBSCRIBE)
    listings = [_shown(item, going_rate) for item in owed[:MAX_LISTINGS]]
    count = len(owed)
    context = {
        **_context(alert),
        "listings": listings,
        "count": count,
        "more": count - len(listings),
        "going_rate": money(going_rate, "whole") if going_rate else "",
        "unsubscribe_link": unsubscribe,
    }
    plural = "listing" if count == 1 else "listings"
    return _email(
        alert=alert,
        template="alert_listings",
        subject=f"{alert.gpu.label}: {count} new {plural} at or under {context['target']}",
        context=context,
        # RFC 2369 and RFC 8058: mail clients offer one-click unsubscribe, a POST to this URL.
        headers={
            "List-Unsubscribe": f"<{unsubscribe}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    )


def _shown(item: Owed, going_rate: Decimal | None) -> AlertListing:
    listing = item.listing
    under = None
    if going_rate and listing.unit_price < going_rate:
        under = round((going_rate - listing.unit_price) / going_rate * 100)
    return AlertListing(
        title=listing.title,
        price=listing.unit_price,
        currency=listing.currency or "USD",
        condition=listing.condition or listing.get_condition_kind_display(),
        quantity=listing.quantity,
        link=absolute(reverse("listings:go", kwargs={"pk": listing.pk})),
        under_going_rate_pct=under or None,
    )
