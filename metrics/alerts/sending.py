"""Sending price alerts (`manage.py send_alerts`, and at the end of every refresh and import):
unconfirmed alerts past their week are deleted, confirmations that could not go out are sent,
and every confirmed alert owed new listings gets one email with them, at most one a day.

Each email is claimed first with a conditional UPDATE, so two runs never send it twice; a send
that fails gives the claim back, so the next run sends it again and nothing is lost. A listing
is recorded as announced only once its email has gone."""

from __future__ import annotations

import logging
import smtplib
from contextlib import nullcontext, suppress
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.mail import EmailMessage, get_connection
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from metrics.alerts import throttle
from metrics.alerts.matching import owed_listings
from metrics.alerts.messages import alert_email, confirmation_email
from metrics.alerts.tokens import CONFIRM_DAYS
from metrics.models import AlertDelivery, CardPrice, PriceAlert

logger = logging.getLogger(__name__)

ALERT_INTERVAL = timedelta(days=1)  # at most one alert email per alert in this long
# Failures of one message; anything else (refused connection, timeout, dropped link) means the
# server cannot be reached, and the run's other messages wait for the next run.
MESSAGE_ERRORS = (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused, smtplib.SMTPDataError)


@dataclass
class AlertRun:
    expired: int = 0
    confirmations: int = 0
    alerts: int = 0
    listings: int = 0
    failed: int = 0
    dry_run: bool = False

    def summary(self) -> str:
        verb = "would send" if self.dry_run else "sent"
        line = (
            f"{self.alerts} alert emails {verb} ({self.listings} listings), "
            f"{self.confirmations} confirmations {verb}, {self.expired} unconfirmed alerts "
            f"{'to delete' if self.dry_run else 'deleted'}"
        )
        if self.failed:
            line += f"; {self.failed} emails failed and will be retried on the next run"
        return line


class Outbox:
    """One mail-server connection for a run. Once the server cannot be reached, the rest of the
    run's messages fail at once instead of each waiting out EMAIL_TIMEOUT."""

    def __init__(self):
        self.connection = get_connection()
        self.down = False

    def send(self, message: EmailMessage) -> bool:
        if self.down:
            return False
        message.connection = self.connection
        try:
            self.connection.open()
            message.send()
        except MESSAGE_ERRORS as exc:
            logger.warning("Email to one alert address not sent: %s", exc)
            return False
        except (smtplib.SMTPException, OSError) as exc:
            logger.error("Mail server unreachable, alert emails wait for the next run: %s", exc)
            self.down = True
            return False
        return True

    def __enter__(self) -> Outbox:
        return self

    def __exit__(self, *exc_info) -> None:
        with suppress(smtplib.SMTPException, OSError):
            self.connection.close()


def send_alerts(*, now: datetime | None = None, dry_run: bool = False) -> AlertRun:
    """Delete expired unconfirmed alerts and rate-limit counts, send pending confirmations and
    owed alerts."""
    now = now or timezone.now()
    run = AlertRun(dry_run=dry_run)
    expired = PriceAlert.objects.unconfirmed().filter(
        created_at__lte=now - timedelta(days=CONFIRM_DAYS)
    )
    run.expired = expired.count() if dry_run else expired.delete()[1].get(PriceAlert._meta.label, 0)
    if not dry_run:
        throttle.forget_expired(now=now)
    with nullcontext() if dry_run else Outbox() as outbox:
        _send_confirmations(run=run, outbox=outbox, now=now)
        _send_owed(run=run, outbox=outbox, now=now)
    return run


def send_confirmation(*, alert: PriceAlert, outbox: Outbox, now: datetime) -> bool:
    """Claim and send one alert's confirmation email; on failure it stays pending."""
    claimed = PriceAlert.objects.filter(
        pk=alert.pk, confirmed_at__isnull=True, confirmation_sent_at__isnull=True
    ).update(confirmation_sent_at=now)
    if not claimed:
        return False
    if outbox.send(confirmation_email(alert)):
        return True
    PriceAlert.objects.filter(pk=alert.pk).update(confirmation_sent_at=None)
    return False


def _send_confirmations(*, run: AlertRun, outbox: Outbox | None, now: datetime) -> None:
    pending = (
        PriceAlert.objects.unconfirmed()
        .filter(confirmation_sent_at__isnull=True)
        .select_related("gpu")
        .order_by("pk")
    )
    for alert in pending:
        if outbox is None or send_confirmation(alert=alert, outbox=outbox, now=now):
            run.confirmations += 1
        else:
            run.failed += 1


def _send_owed(*, run: AlertRun, outbox: Outbox | None, now: datetime) -> None:
    due = list(
        PriceAlert.objects.confirmed()
        .filter(Q(last_sent_at__isnull=True) | Q(last_sent_at__lte=now - ALERT_INTERVAL))
        .select_related("gpu")
        .order_by("pk")
    )
    owed = owed_listings(due)
    rates = {
        (gpu_id, scope): price
        for gpu_id, scope, price in CardPrice.objects.filter(
            gpu_id__in={alert.gpu_id for alert in due if alert.pk in owed}
        ).values_list("gpu_id", "scope", "headline_price")
    }
    for alert in due:
        found = owed.get(alert.pk)
        if not found:
            continue
        if outbox is None:
            run.alerts, run.listings = run.alerts + 1, run.listings + len(found)
            continue
        # Claim the day's email: a run that finds last_sent_at moved lost the race and skips.
        claimed = PriceAlert.objects.filter(pk=alert.pk, last_sent_at=alert.last_sent_at)
        if alert.last_sent_at is None:
            claimed = PriceAlert.objects.filter(pk=alert.pk, last_sent_at__isnull=True)
        if not claimed.update(last_sent_at=now):
            continue
        rate = rates.get((alert.gpu_id, alert.condition))
        if not outbox.send(alert_email(alert=alert, owed=found, going_rate=rate)):
            PriceAlert.objects.filter(pk=alert.pk).update(last_sent_at=alert.last_sent_at)
            run.failed += 1
            continue
        _record_announced(alert=alert, owed=found, now=now)
        run.alerts, run.listings = run.alerts + 1, run.listings + len(found)


def _record_announced(*, alert: PriceAlert, owed: list, now: datetime) -> None:
    rows = [AlertDelivery(alert=alert, listing_id=item.listing.pk, sent_at=now) for item in owed]
    try:
        with transaction.atomic():
            AlertDelivery.objects.bulk_create(rows, ignore_conflicts=True)
    except IntegrityError:  # unsubscribed while its email went out: nothing left to record
        logger.info("Alert %s was deleted while its email was sent", alert.pk)
