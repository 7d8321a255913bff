import logging

from django.apps import AppConfig

logger = logging.getLogger(__name__)

# Changes made while answering a request: their pages are only queued for search engines.
REQUEST_SOURCES = ("admin", "account-deletion")


def recompute_after_change(sender, gpu_ids=None, history_since=None, source="", **kwargs):
    """Stored rankings and today's price history follow every catalog or listings change; pages
    never compute them. Then the pages that changed are queued for search engines (IndexNow).

    A change that names its cards recomputes only those; any other catalog change, all. A
    sender that wrote past price history (demo seeding) passes `history_since`, a date, and the
    days from then are rebuilt too. A change made in the admin (`source="admin"`) or by an eBay
    account deletion notice only queues its pages: the next command run submits them, so a
    request never waits on a search engine."""
    from django.db import transaction

    from metrics.history import record_price_history
    from metrics.indexnow import queue_changed_pages, submit_changed_pages
    from metrics.ranking import recompute_rankings

    recompute_rankings(only_gpu_ids=gpu_ids)
    record_price_history(only_gpu_ids=gpu_ids, since=history_since)
    queue_changed_pages(gpu_ids=gpu_ids)
    if source not in REQUEST_SOURCES:
        transaction.on_commit(submit_changed_pages)  # never inside a transaction


def send_alerts_after_ingest(sender, source="", **kwargs):
    """Price alerts go out at the end of every refresh and import run; whatever goes wrong is
    logged and never fails the run (what was not sent goes on the next run)."""
    from metrics.alerts.sending import send_alerts

    try:
        run = send_alerts()
    except Exception:
        logger.exception("Price alerts not sent after the %s run", source or "listings")
        return
    logger.info("Price alerts: %s", run.summary())


class MetricsConfig(AppConfig):
    name = "metrics"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from catalog.signals import catalog_changed
        from listings.signals import ingest_finished, listings_changed

        catalog_changed.connect(recompute_after_change, dispatch_uid="metrics-catalog-changed")
        listings_changed.connect(recompute_after_change, dispatch_uid="metrics-listings-changed")
        ingest_finished.connect(send_alerts_after_ingest, dispatch_uid="metrics-send-alerts")
        from metrics import checks  # noqa: F401 - registers the deploy checks
