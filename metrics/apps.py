from django.apps import AppConfig


def recompute_after_change(sender, **kwargs):
    """Stored rankings follow every catalog or listings change; pages never compute them."""
    from metrics.ranking import recompute_rankings

    recompute_rankings()


class MetricsConfig(AppConfig):
    name = "metrics"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from catalog.signals import catalog_changed
        from listings.signals import listings_changed

        catalog_changed.connect(recompute_after_change, dispatch_uid="metrics-catalog-changed")
        listings_changed.connect(recompute_after_change, dispatch_uid="metrics-listings-changed")
