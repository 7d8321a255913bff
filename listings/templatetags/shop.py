"""Tags for shop pages: links to pages that may not exist yet, paging, ages, form options and
the sitemap's entries (formatting and JSON-LD: catalog/templatetags/present.py)."""

from datetime import datetime

from django import template
from django.conf import settings
from django.template.loader import get_template
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.timesince import timesince
from django.utils.timezone import get_current_timezone, is_naive

from shopagent.cache import cached_fragments, cached_join

register = template.Library()


@register.simple_tag
def listing_cards(cards, label) -> SafeString:
    """A page of listing cards (listings.shop.cards.ListingCard), each rendered by the
    listing_card.html partial once and then reused until one of its figures changes."""
    partial = get_template("listings/includes/listing_card.html")
    items = [(card, label) for card in cards]
    return cached_join(
        "listing-card",
        items,
        lambda item: partial.render({"card": item[0], "label": item[1]}),
        "\n",
    )


@register.simple_tag
def optional_url(name, *args, **kwargs):
    """reverse(), or "" while the named page does not exist yet, so templates can hide the link."""
    try:
        return reverse(name, args=args or None, kwargs=kwargs or None)
    except NoReverseMatch:
        return ""


@register.simple_tag(takes_context=True)
def page_query(context, number):
    """The current query string with `page` set, so paging keeps the filters and sort."""
    query = context["request"].GET.copy()
    query["page"] = number
    return query.urlencode()


@register.filter
def ago(moment):
    """`12 minutes ago`, or `just now` inside the first minute."""
    if not moment:
        return ""
    since = timesince(moment)
    return "just now" if since.startswith("0\xa0") else f"{since} ago"


@register.simple_tag
def sitemap_urls(urlset):
    """The <url> entries of /sitemap.xml (templates/sitemap.xml overrides Django's), as Django's
    template writes them, rendered once for the same entries (a sitemap has hundreds)."""
    zone = get_current_timezone() if settings.USE_TZ else None
    entries = tuple(_sitemap_values(url, zone) for url in urlset)
    (rendered,) = cached_fragments("sitemap-entries", [entries], _sitemap_entries)
    return rendered


def _sitemap_values(url, zone) -> tuple:
    day = url.get("lastmod")
    if day:
        # What the |date filter's template_localtime does, with the time zone looked up once.
        if zone and isinstance(day, datetime) and not is_naive(day):
            day = day.astimezone(zone)
        day = f"{day.year:04d}-{day.month:02d}-{day.day:02d}"
    alternates = tuple((a["lang_code"], a["location"]) for a in url.get("alternates") or ())
    extras = (url.get("changefreq") or "", url.get("priority") or "")
    return url["location"], day or "", *extras, alternates


def _sitemap_entries(entries) -> SafeString:
    return format_html_join("", "<url>{}</url>", ((_sitemap_entry(*entry),) for entry in entries))


def _sitemap_entry(location, day, changefreq, priority, alternates) -> SafeString:
    """One <url> entry, escaped by a single format_html call."""
    parts, values = ["<loc>{}</loc>"], [location]
    for tag, value in (("lastmod", day), ("changefreq", changefreq), ("priority", priority)):
        if value:
            parts.append(f"<{tag}>{{}}</{tag}>")
            values.append(value)
    for lang_code, href in alternates:
        parts.append('<xhtml:link rel="alternate" hreflang="{}" href="{}"/>')
        values += [lang_code, href]
    return format_html("".join(parts), *values)


@register.simple_tag
def select_options(choices, selected):
    """<option> elements for (value, text) choices, the one equal to `selected` selected."""
    return format_html_join(
        "",
        '<option value="{}"{}>{}</option>',
        ((value, " selected" if value == selected else "", text) for value, text in choices),
    )
