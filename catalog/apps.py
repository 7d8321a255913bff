from django.apps import AppConfig


def record_backtest_after_change(sender, **kwargs):
    """Every catalog change reruns the LLM backtest (one fit per measurement) and stores it, so
    pages read each family's expected error instead of refitting."""
    from catalog.llm_catalogue import record_llm_backtest

    record_llm_backtest()


class CatalogConfig(AppConfig):
    name = "catalog"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from catalog.signals import catalog_changed

        catalog_changed.connect(record_backtest_after_change, dispatch_uid="catalog-backtest")
