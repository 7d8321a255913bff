"""Which stored URLs a buyer may be sent to: https on one of eBay's own marketplace hosts.

An explicit list, not a pattern: `ebay.xyz`, `www.ebay.com.ai` or a port are not eBay's shop.
The Browse API's affiliate URLs (itemAffiliateWebUrl) are on the same hosts as its item URLs.
"""

from urllib.parse import urlsplit

EBAY_MARKETPLACE_DOMAINS = (
    "ebay.com",
    "ebay.co.uk",
    "ebay.de",
    "ebay.com.au",
    "ebay.ca",
    "ebay.fr",
    "ebay.it",
    "ebay.es",
    "ebay.at",
    "ebay.ch",
    "ebay.ie",
    "ebay.nl",
    "ebay.be",
    "ebay.pl",
    "ebay.com.hk",
    "ebay.com.sg",
    "ebay.com.my",
    "ebay.ph",
    "ebay.in",
)
EBAY_HOSTS = frozenset(
    f"{prefix}{domain}" for domain in EBAY_MARKETPLACE_DOMAINS for prefix in ("", "www.", "m.")
)


def is_ebay_url(url: str) -> bool:
    """True for an https URL on one of eBay's marketplace hosts, with no port or user info."""
    if not isinstance(url, str) or any(c.isspace() or ord(c) < 32 for c in url):
        return False
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return False
    return (
        parts.scheme == "https"
        and port is None
        and not parts.username
        and not parts.password
        and parts.netloc.lower() == (parts.hostname or "")
        and (parts.hostname or "") in EBAY_HOSTS
    )


def buy_url(*, affiliate_url: str, item_web_url: str) -> str:
    """Where /go/ sends a buyer: the affiliate URL if usable, else the item URL, else ""."""
    for url in (affiliate_url, item_web_url):
        if is_ebay_url(url):
            return url
    return ""
