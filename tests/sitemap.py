"""The sitemap as a search engine reads it: the index robots.txt names, then every section's
sitemap the index lists."""

from urllib.parse import urlsplit
from xml.etree import ElementTree

SITEMAP_NS = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}


def _xml(response) -> ElementTree.Element:
    assert response.status_code == 200
    return ElementTree.fromstring(response.content)  # noqa: S314 - our own sitemap


def section_paths(client) -> list[str]:
    """The path of each section's sitemap, in the index's order."""
    index = _xml(client.get("/sitemap.xml"))
    return [urlsplit(loc.text).path for loc in index.findall("s:sitemap/s:loc", SITEMAP_NS)]


def sitemap_urls(client) -> list[ElementTree.Element]:
    """Every <url> entry of every section, in order."""
    return [
        url
        for path in section_paths(client)
        for url in _xml(client.get(path)).findall("s:url", SITEMAP_NS)
    ]


def sitemap_locations(client) -> list[str]:
    """Every URL the sitemap lists, absolute, in order."""
    return [url.find("s:loc", SITEMAP_NS).text for url in sitemap_urls(client)]


def sitemap_paths(client) -> list[str]:
    """The path of every page the sitemap lists."""
    return [urlsplit(location).path for location in sitemap_locations(client)]


def sitemap_text(client) -> str:
    """Every section's sitemap as one text, for checking what it lists."""
    return "".join(client.get(path).content.decode() for path in section_paths(client))
