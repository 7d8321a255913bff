from django.apps import AppConfig


def recompute_after_change(sender, gpu_ids=None, history_since=None, **kwargs):
    """Stored rankings and today's price history follow every catalog or listings change; pages
    never compute them.

    A listings change names its cards, so only those are recomputed; a catalog change, all. A
    sender that wrote past price history (demo seeding) passes `history_since`, a date, and the
    days from then are rebuilt too."""
    from metrics.history import record_price_history
    from metrics.ranking import recompute_rankings

    recompute_rankings(only_gpu_ids=gpu_ids)
    record_price_history(only_gpu_ids=gpu_ids, since=history_since)


class MetricsConfig(AppConfig):
    name = "metrics"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from catalog.signals import catalog_changed
        from listings.signals import listings_changed

        catalog_changed.connect(recompute_after_change, dispatch_uid="metrics-catalog-changed")
        listings_changed.connect(recompute_after_change, dispatch_uid="metrics-listings-changed")
