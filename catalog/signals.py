"""Signals the catalog sends downstream; listings and metrics connect receivers to them."""

from django.dispatch import Signal

# Sent after load_catalog changed something and after an admin saves or deletes a catalog object.
# Keyword arguments: `source` ("load_catalog" or "admin"). Receivers must accept **kwargs.
catalog_changed = Signal()
