"""Atom feeds of new deals, overall and per card: our derived figures, linking to our pages."""

from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.html import format_html

from catalog import presentation
from catalog.models import Gpu
from metrics.deals import Deal, new_deals

# Entry ids are tag URIs (RFC 4151) on the site's host: they never change when a price does.
TAG_DATE = "2026"


def _tag(name: str) -> str:
    host = urlsplit(settings.SITE_URL).hostname or "localhost"
    return f"tag:{host},{TAG_DATE}:{name}"


class DealsFeed(Feed):
    """/ml/shop/deals.atom for every card; /ml/shop/gpu/<slug>/deals.atom for one."""

    feed_type = Atom1Feed

    def get_object(self, request, slug=None):
        if slug is None:
            return None
        return get_object_or_404(Gpu.objects.only("id", "slug", "label"), slug=slug)

    def title(self, gpu):
        name = gpu.label if gpu else "GPUs and AI accelerators"
        return f"New deals on {name} | ShopAgent"

    def subtitle(self, gpu):
        return (
            "eBay listings first seen in the last two weeks at least 5% under the going rate for "
            "their condition (the median of the five cheapest landed prices per card)."
        )

    def link(self, gpu):
        if gpu:
            return reverse("metrics:shop-gpu", kwargs={"slug": gpu.slug}) + "?sort=deal"
        return reverse("metrics:shop-index")

    def feed_guid(self, gpu):
        return _tag(f"deals/{gpu.slug}" if gpu else "deals")

    def author_name(self, gpu):
        return "ShopAgent"

    def items(self, gpu):
        return new_deals(gpu=gpu)

    def item_title(self, deal: Deal):
        price = presentation.price(deal.unit_price, deal.currency)
        return f"{deal.gpu_label} ({deal.condition.lower()}) at {price} per card: {deal.text}"

    def item_description(self, deal: Deal):
        price = presentation.price(deal.unit_price, deal.currency)
        rate = presentation.price(deal.going_rate, deal.currency)
        # An Atom summary is HTML to a feed reader, so the card's label goes in escaped.
        return format_html(
            "{} {} at {} per card including stated shipping; the {} is {}. "
            "Source: eBay listing, first seen {} UTC.",
            deal.condition,
            deal.gpu_label,
            price,
            deal.text.split(" the ")[-1],
            rate,
            f"{deal.first_seen_at:%Y-%m-%d %H:%M}",
        )

    def item_link(self, deal: Deal):
        return reverse("metrics:shop-gpu", kwargs={"slug": deal.gpu_slug}) + "?sort=deal"

    def item_guid(self, deal: Deal):
        return _tag(f"deal/{deal.listing_id}")

    item_guid_is_permalink = False

    def item_pubdate(self, deal: Deal):
        return deal.first_seen_at

    def item_updateddate(self, deal: Deal):
        return deal.first_seen_at
