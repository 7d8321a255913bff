"""Tags for shop pages: paging links, ages and form options (formatting and JSON-LD:
catalog/templatetags/present.py)."""

from django import template
from django.utils.html import format_html_join
from django.utils.timesince import timesince

register = template.Library()


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
def select_options(choices, selected):
    """<option> elements for (value, text) choices, the one equal to `selected` selected."""
    return format_html_join(
        "",
        '<option value="{}"{}>{}</option>',
        ((value, " selected" if value == selected else "", text) for value, text in choices),
    )
