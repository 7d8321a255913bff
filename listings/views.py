"""Shop pages: a card's listings priced per spec, and the /go/ hop that records affiliate clicks."""

import json
import uuid
from urllib.parse import urlsplit

from django.conf import settings
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from catalog.models import Gpu
from listings import analytics
from listings.links import buy_url
from listings.models import Listing
from listings.schedule import counts_views
from listings.shop.cards import card_specs, listings_page
from listings.shop.form import ShopFilterForm
from listings.shop.queries import UNSHOWN_GPU_FIELDS, shop_facts
from listings.shop.seo import gpu_shop_path, shop_seo
from shopagent.cache import cached_page


@require_safe
@counts_views
@cached_page
def shop_gpu(request, slug):
    """One card's listings as cards, with filters, sorts, $/spec pills and a price summary."""
    gpu = get_object_or_404(Gpu.objects.defer(*UNSHOWN_GPU_FIELDS), slug=slug)
    facts = shop_facts(gpu)
    summary, rates = facts.summary, facts.rates
    specs = card_specs(gpu)
    form = ShopFilterForm(request.GET, specs=specs, countries=facts.countries)
    form.is_valid()
    applied = form.applied()
    notes = form.ignored_notes()
    page = listings_page(
        gpu, specs, applied=applied, facts=facts, raw_page=request.GET.get("page", "1")
    )
    notes += [page.note] if page.note else []
    if applied.get("sort") == "deal" and not rates.known:
        notes.append("No going rate for this card yet: sorted by price per card instead.")
    context = {
        "gpu": gpu,
        "form": form,
        "applied": applied,
        "notes": notes,
        "page": page,
        "cards": page.cards,
        "rates": rates,
        "summary": summary,
        "checked_at": facts.checked_at,
        "specs": specs,
        "is_variant": bool(request.GET),
    }
    context.update(shop_seo(gpu=gpu, summary=context["summary"], page=page))
    context["crumbs"] = [
        ("Home", reverse("metrics:home")),
        ("Shop", reverse("metrics:shop-index")),
        (gpu.label, gpu_shop_path(gpu)),
    ]
    return render(request, "listings/gpu_shop.html", context)


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
