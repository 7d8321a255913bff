"""Template helpers for the learn pages: links to pages that may not exist yet."""

from django import template
from django.urls import NoReverseMatch, reverse

register = template.Library()


@register.simple_tag
def shop_url(slug: str) -> str:
    """The card's shop page, or "" while the listings app does not serve one."""
    try:
        return reverse("listings:shop-gpu", kwargs={"slug": slug})
    except NoReverseMatch:
        return ""
