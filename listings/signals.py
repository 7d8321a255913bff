"""Sent after an ingest, refresh, import or admin change touched listings; kwarg gpu_ids, and
history_since (a date) when past price history was written, so receivers rebuild it."""

from django.dispatch import Signal

listings_changed = Signal()
