from django.apps import AppConfig


def record_llm_figures_after_change(sender, **kwargs):
    """Every catalog change reruns the LLM backtest (one fit per measurement) and each card's run
    of the reference model and stores them, so pages read each family's expected error and those
    speeds instead of refitting."""
    from catalog.llm_catalogue import record_llm_figures

    record_llm_figures()


class CatalogConfig(AppConfig):
    name = "catalog"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from catalog.signals import catalog_changed

        catalog_changed.connect(record_llm_figures_after_change, dispatch_uid="catalog-llm-figures")
