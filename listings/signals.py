"""Signals listings sends to the layers above it.

listings_changed: sent after an ingest, refresh, import or admin change touched listings; kwarg
gpu_ids, history_since (a date) when past price history was written, so receivers rebuild it, and
source ("admin" when sent from a request, so receivers do no network calls then; else empty).
"""

from django.dispatch import Signal

listings_changed = Signal()

# Sent at the end of every refresh_listings or import_listings run that wrote (not a dry run),
# whatever it changed; kwarg source ("live" or "import"). Receivers must never fail the run.
ingest_finished = Signal()
