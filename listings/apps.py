from django.apps import AppConfig


class ListingsConfig(AppConfig):
    name = "listings"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from listings.context_processors import forget_demo_notice
        from listings.signals import listings_changed

        listings_changed.connect(forget_demo_notice, dispatch_uid="listings-forget-demo-notice")
