"""Sent after an ingest, refresh, import or admin change touched listings; kwarg gpu_ids,
history_since (a date) when past price history was written, so receivers rebuild it, and source
("admin" when sent from a request, so receivers do no network calls then; else empty)."""

from django.dispatch import Signal

listings_changed = Signal()
