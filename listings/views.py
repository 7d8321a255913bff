"""The /go/ hop that records an affiliate click and sends the buyer to the eBay listing, and the
endpoint eBay sends marketplace account deletion notices to.

A card's shop page shows metrics data too, so metrics serves it (metrics/card_views.py)."""

import json
import uuid
from urllib.parse import urlsplit

from django.conf import settings
from django.http import Http404, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_safe

from listings import analytics
from listings.account_deletion import BadNotice, challenge_response, handle_notice
from listings.ebay import EbayError
from listings.links import buy_url
from listings.models import Listing


def source_page(request) -> str:
    """The same-site path the click came from: `from` if it is one, else the Referer's path."""
    allowed = {request.get_host(), urlsplit(settings.SITE_URL).netloc}
    candidate = request.GET.get("from", "")
    if candidate.startswith("/") and url_has_allowed_host_and_scheme(candidate, allowed):
        return candidate[:500]
    referer = request.headers.get("Referer", "")
    if referer and url_has_allowed_host_and_scheme(referer, allowed):
        return urlsplit(referer).path[:500]
    return ""


def visitor_id(request) -> str:
    """PostHog's browser id from its cookie, so the click joins the visit; else a fresh id."""
    cookie = request.COOKIES.get(f"ph_{settings.POSTHOG_API_KEY}_posthog", "")
    try:
        distinct_id = json.loads(cookie).get("distinct_id") if cookie else None
    except (ValueError, AttributeError):
        distinct_id = None
    return str(distinct_id)[:200] if distinct_id else f"anon-{uuid.uuid4()}"


@never_cache
@require_safe
def go(request, pk):
    """Record an affiliate click and send the buyer to the listing's stored eBay URL.

    A HEAD (link checkers, previews) is answered the same way but is not a click."""
    listing = get_object_or_404(Listing.objects.active().select_related("gpu"), pk=pk)
    target = buy_url(affiliate_url=listing.affiliate_url, item_web_url=listing.item_web_url)
    if not target:
        raise Http404("This listing has no eBay link.")
    if request.method == "HEAD":
        return HttpResponseRedirect(target)
    analytics.capture_event(
        event="affiliate_click",
        distinct_id=visitor_id(request),
        properties={
            "listing_id": listing.pk,
            "item_id": listing.item_id,
            "gpu": listing.gpu.slug,
            "price": str(listing.price) if listing.price is not None else None,
            "unit_price": str(listing.unit_price) if listing.unit_price is not None else None,
            "currency": listing.currency,
            "source_page": source_page(request),
            "affiliate": target == listing.affiliate_url,
        },
    )
    return HttpResponseRedirect(target)


@csrf_exempt  # eBay posts notices; they carry eBay's signature instead of a CSRF token
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def account_deletion(request):
    """eBay's marketplace account deletion endpoint: GET ?challenge_code= answers eBay's check of
    the endpoint; POST takes a signed notice and forgets that seller at once. Not found while
    EBAY_VERIFICATION_TOKEN is unset."""
    token = settings.EBAY_VERIFICATION_TOKEN
    if not token:
        raise Http404("eBay account deletion notices are not set up here.")
    if request.method == "POST":
        try:
            handle_notice(
                body=request.body, signature_header=request.headers.get("X-Ebay-Signature", "")
            )
        except BadNotice as exc:
            return JsonResponse({"error": str(exc)}, status=412)
        except EbayError:
            # eBay's key is out of reach now; eBay sends the notice again later.
            return JsonResponse({"error": "cannot check the signature now"}, status=503)
        return HttpResponse(status=204)
    codes = request.GET.getlist("challenge_code")
    if len(codes) != 1 or not codes[0]:
        why = "given more than once" if codes else "missing"
        return JsonResponse({"error": f"challenge_code: {why}"}, status=400)
    endpoint = settings.SITE_URL + reverse("listings:account-deletion")
    answer = challenge_response(
        challenge_code=codes[0], verification_token=token, endpoint=endpoint
    )
    return JsonResponse({"challengeResponse": answer})
