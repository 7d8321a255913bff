"""Sent after an ingest, refresh, import or admin change touched listings; kwarg gpu_ids."""

from django.dispatch import Signal

listings_changed = Signal()
