"""Changes to price alerts, each a function the views call: a request for an alert (stored
unconfirmed, its confirmation sent), its confirmation, a change, and deletion; unsubscribing
deletes every alert of the address, and the address with them."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone

from catalog.models import Gpu
from metrics.alerts.messages import existing_alert_email
from metrics.alerts.sending import Outbox, send_confirmation
from metrics.models import PriceAlert


def normalise_email(email: str) -> str:
    """One spelling per address: the whole address in lower case, as mail providers treat it."""
    return email.strip().lower()


def request_alert(
    *, email: str, gpu: Gpu, target_price: Decimal, condition: str, now: datetime | None = None
) -> PriceAlert:
    """Store the alert unconfirmed (or update the address's unconfirmed one on the card) and
    send its confirmation; a confirmed alert is left as it is and the address is told how to
    change it. A confirmation that cannot be sent now stays pending for `send_alerts`."""
    now = now or timezone.now()
    email = normalise_email(email)
    values = {"target_price": target_price, "condition": condition}
    alert = PriceAlert.objects.filter(email=email, gpu=gpu).first()
    if alert is not None and alert.confirmed_at is not None:
        with Outbox() as outbox:
            outbox.send(existing_alert_email(alert))
        return alert
    fresh = {**values, "created_at": now, "confirmation_sent_at": None}
    if alert is None:
        try:
            with transaction.atomic():
                alert = PriceAlert.objects.create(email=email, gpu=gpu, **fresh)
        except IntegrityError:  # the same request twice at once: the other one stored it
            return PriceAlert.objects.get(email=email, gpu=gpu)
    else:
        PriceAlert.objects.filter(pk=alert.pk, confirmed_at__isnull=True).update(**fresh)
        alert.refresh_from_db()
    with Outbox() as outbox:
        send_confirmation(alert=alert, outbox=outbox, now=now)
    return alert


def confirm_alert(alert: PriceAlert, *, now: datetime | None = None) -> None:
    """Turn the alert on from now: listings priced at or under its target from now on count."""
    if alert.confirmed_at is None:
        alert.confirmed_at = now or timezone.now()
        PriceAlert.objects.filter(pk=alert.pk, confirmed_at__isnull=True).update(
            confirmed_at=alert.confirmed_at
        )


def change_alert(alert: PriceAlert, *, target_price: Decimal, condition: str) -> None:
    PriceAlert.objects.filter(pk=alert.pk).update(target_price=target_price, condition=condition)


def unsubscribe(alert_id: int) -> int:
    """Delete every alert of the address the alert belongs to, and so the address; returns the
    alerts deleted (0 when it had already gone)."""
    email = PriceAlert.objects.filter(pk=alert_id).values_list("email", flat=True).first()
    if email is None:
        return 0
    return PriceAlert.objects.filter(email=email).delete()[1].get(PriceAlert._meta.label, 0)
