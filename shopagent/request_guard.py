"""Refuse query strings no page can mean: control characters (NUL above all, which PostgreSQL
rejects in text) are a 400 with a plain reason, before any view or query sees them."""

import re
from urllib.parse import unquote_to_bytes

from django.http import HttpResponseBadRequest

_CONTROL = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class RejectControlCharactersMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        raw = request.META.get("QUERY_STRING", "")
        if raw and _CONTROL.search(unquote_to_bytes(raw.replace("+", " "))):
            return HttpResponseBadRequest(
                "Bad request: the query string contains control characters.",
                content_type="text/plain; charset=utf-8",
            )
        return self.get_response(request)
