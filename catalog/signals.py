"""Signals the catalog sends downstream; listings and metrics connect receivers to them."""

from django.dispatch import Signal

# Sent after load_catalog changed something and after an admin saves or deletes a catalog object.
# Keyword arguments: `source` ("load_catalog" or "admin": sent from a request, so receivers do no
# network calls then) and, when the change is to known cards only, `gpu_ids`. Receivers must
# accept **kwargs.
catalog_changed = Signal()
