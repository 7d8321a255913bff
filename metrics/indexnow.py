"""Tell search engines which pages changed, by IndexNow (off unless INDEXNOW_KEY is set).

A change queues the pages it alters (`PageChange` rows: a database write, nothing else), so an
admin edit never waits on a search engine. The queue is sent in batches by commands only: after a
refresh, import or catalog load (through the change signals' receiver), by `recompute_rankings`
and by `submit_indexnow`. A failed submission is logged and its pages stay queued for the next
run; it never fails the run that sent it. This is the one module besides listings/ebay.py that
makes HTTP calls, with the same library (requests).

Reference: https://www.indexnow.org/documentation
"""

import json
import logging
from collections.abc import Collection
from dataclasses import dataclass
from urllib.parse import urlsplit

import requests
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from catalog.models import Gpu
from metrics.models import PageChange
from metrics.sitemaps import LlmSitemap, RankingSitemap, UseCaseSitemap

logger = logging.getLogger(__name__)

# The protocol takes at most 10,000 URLs per request.
BATCH_SIZE = 10_000
TIMEOUT_SECONDS = (5, 20)  # connect, read


@dataclass
class SubmitReport:
    submitted: int = 0
    failed: int = 0  # pages of batches the endpoint refused or never answered, still queued
    error: str = ""

    def summary(self) -> str:
        text = f"IndexNow: {self.submitted} page(s) submitted"
        return f"{text}, {self.failed} still queued ({self.error})" if self.failed else text


def enabled() -> bool:
    return bool(settings.INDEXNOW_KEY)


def changed_pages(*, gpu_ids: Collection[int] | None) -> list[str]:
    """The absolute URLs of the pages a change to these cards alters (None: any card): each
    card's shop and learn page, and every page that ranks or prices cards."""
    cards = Gpu.objects.order_by("slug")
    if gpu_ids is not None:
        cards = cards.filter(id__in=list(gpu_ids))
    paths = [
        reverse(name, kwargs={"slug": slug})
        for slug in cards.values_list("slug", flat=True)
        for name in ("metrics:shop-gpu", "metrics:learn-gpu")
    ]
    for sitemap in (RankingSitemap(), UseCaseSitemap(), LlmSitemap()):
        paths += [sitemap.location(item) for item in sitemap.items()]
    return [settings.SITE_URL + path for path in dict.fromkeys(paths)]


def queue_changed_pages(*, gpu_ids: Collection[int] | None) -> int:
    """Queue the pages a change to these cards alters; how many pages (0 when IndexNow is off)."""
    if not enabled():
        return 0
    urls = changed_pages(gpu_ids=gpu_ids)
    now = timezone.now()
    PageChange.objects.bulk_create(
        [PageChange(url=url, changed_at=now) for url in urls],
        ignore_conflicts=True,  # already queued: one submission covers both changes
        batch_size=500,
    )
    return len(urls)


def submit_changed_pages(*, session: requests.Session | None = None) -> SubmitReport:
    """Send every queued page to INDEXNOW_ENDPOINT in batches; never raises."""
    report = SubmitReport()
    if not enabled():
        return report
    queued = list(PageChange.objects.values_list("id", "url"))
    session = session or requests.Session()
    for start in range(0, len(queued), BATCH_SIZE):
        batch = queued[start : start + BATCH_SIZE]
        try:
            _post(session, [url for _, url in batch])
        except requests.RequestException as exc:
            report.failed = len(queued) - start
            report.error = _describe(exc)
            logger.warning("IndexNow submission failed, pages kept for the next run: %s", exc)
            break
        PageChange.objects.filter(id__in=[pk for pk, _ in batch]).delete()
        report.submitted += len(batch)
    if queued:
        logger.info(report.summary())
    return report


def _post(session: requests.Session, urls: list[str]) -> None:
    # Reference: https://www.indexnow.org/documentation ("Submitting set of URLs")
    site = urlsplit(settings.SITE_URL)
    body = {
        "host": site.netloc,
        "key": settings.INDEXNOW_KEY,
        "keyLocation": f"{settings.SITE_URL}/{settings.INDEXNOW_KEY}.txt",
        "urlList": urls,
    }
    response = session.post(
        settings.INDEXNOW_ENDPOINT,
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json; charset=utf-8"},
        timeout=TIMEOUT_SECONDS,
    )
    # 200: received; 202: received, key not checked yet. 403/422: a bad key or foreign URLs;
    # 429: too often. Either way the pages stay queued.
    response.raise_for_status()


def _describe(exc: requests.RequestException) -> str:
    if exc.response is not None:
        return f"HTTP {exc.response.status_code}"
    return type(exc).__name__
