"""Sent after the catalog changes (load_catalog, admin saves of catalog objects)."""

from django.dispatch import Signal

catalog_changed = Signal()
