"""eBay Browse API client, and the Notification API's public keys: the only module in the
project that talks to eBay.

Every failure (network, timeout, HTTP status, malformed body, spent budget) surfaces as
`EbayError`, so callers handle exactly one exception type. A search either returns every page it
asked for or raises: a failed page fails the whole search, never a silent partial result.

Every Browse API call is admitted by a gate (`listings.budget.CallGate`) that the client does not
own: it counts the call against the daily budget in the database, waits out a back-off shared by
every worker of the run, and refuses once the run's breaker is open or its deadline has passed.
The budget counts Browse API calls only (every attempt sent, retries included), because that is
the quota eBay enforces at 5,000 a day; OAuth token calls have their own, separate limit and are
rare (one per token lifetime), so they are not counted against it. They do go through the same
gate otherwise: no token request starts once the breaker is open or the run's deadline has passed,
and a failed one counts towards the breaker. A token is kept in the process as well as in the
shared cache, so a cache that is down never costs a token request per search.

Each call has a wall-clock deadline for the whole exchange (connect, headers and body), not per
socket read: a body dripped a byte at a time is cut off at EBAY_CALL_DEADLINE_SECONDS, and an
answer is read only up to MAX_ANSWER_BYTES once decompressed, so a gzip bomb fails its call
instead of filling memory. A search may also be given a card deadline, which bounds its calls,
its waits between retries and its wait for another worker's token request, and it follows `next`
links for at most the pages its items need.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import math
import re
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, urlsplit

import requests
import urllib3
from django.conf import settings
from django.core.cache import cache
from requests.exceptions import ChunkedEncodingError

if TYPE_CHECKING:
    from listings.budget import CallGate

from listings.search_files import SearchFileError, read_page

logger = logging.getLogger(__name__)

DEFAULT_CATEGORY_IDS = ("27386",)  # Graphics/Video Cards
OAUTH_SCOPE = "https://api.ebay.com/oauth/api_scope"
PAGE_LIMIT = 200  # the most item summaries eBay returns per page
MAX_OFFSET = 10_000  # eBay refuses offsets at or beyond this
RETRY_AFTER_CAP_SECONDS = 60.0  # never sleep longer than this for one Retry-After
TOKEN_EXPIRY_MARGIN_SECONDS = 60
READ_CHUNK = 64 * 1024
# eBay's real search pages are under 1 MB; anything far larger is broken or hostile (a 306 KB gzip
# answer can inflate to gigabytes), so reading stops here and the call fails.
MAX_ANSWER_BYTES = 4 * 1024 * 1024
_minting = threading.Lock()  # one token request at a time per process, however many workers
# Tokens this process minted or read, by cache key: (token, time.monotonic() it expires). The shared
# cache is the first place to look; this copy serves while the cache is unavailable.
_tokens: dict[str, tuple[str, float]] = {}
ASCII_DIGITS = re.compile(r"[0-9]+")
# Every condition except 7000 "For parts or not working": new, open box, refurbished grades, used.
WORKING_CONDITION_IDS = (
    "1000",
    "1500",
    "1750",
    "2000",
    "2010",
    "2020",
    "2030",
    "2500",
    "2750",
    "3000",
    "4000",
    "5000",
    "6000",
)


class EbayError(Exception):
    """Any failure talking to eBay."""


class CallsStopped(EbayError):
    """This run may not call eBay again: the budget is spent, the breaker is open or time is up."""


class BudgetExhausted(CallsStopped):
    """Today's Browse API call budget is spent; refreshing must stop until the next UTC day."""


class CallDeadlinePassed(EbayError):
    """One call (or the card's search) ran past its wall-clock deadline."""


def forget_tokens() -> None:
    """Drop the tokens this process holds, as a restarted process would."""
    _tokens.clear()


# eBay's notification signing keys: a key id names one key for good, so a key read once serves
# every notice signed with it; eBay asks that keys be cached rather than fetched per notice.
PUBLIC_KEY_CACHE_SECONDS = 24 * 3600
PUBLIC_KEY_ID = re.compile(r"[A-Za-z0-9_.:-]{1,200}")
NOTICE_CALL_DEADLINE_SECONDS = 10.0  # a notice waits on the key: one short attempt


@dataclass(frozen=True)
class PublicKey:
    """A Notification API public key: the PEM text, its algorithm ("ECDSA") and digest ("SHA1")."""

    key: str
    algorithm: str
    digest: str


def notification_public_key(key_id: str, *, client: EbayClient | None = None) -> PublicKey:
    """The public key eBay signed a notification with, from the cache or eBay; raises EbayError."""
    if not PUBLIC_KEY_ID.fullmatch(key_id):
        raise EbayError(f"not a public key id: {key_id[:40]!r}")
    cache_key = f"listings:ebay-public-key:{hashlib.sha256(key_id.encode()).hexdigest()[:32]}"
    held = cache.get(cache_key)
    if isinstance(held, dict):
        return PublicKey(**held)
    # One attempt, a short deadline: a notice waits on this call, and eBay sends it again later.
    client = client or EbayClient(max_retries=0, call_deadline=NOTICE_CALL_DEADLINE_SECONDS)
    found = client.public_key(key_id)
    cache.set(cache_key, asdict(found), PUBLIC_KEY_CACHE_SECONDS)
    return found


@dataclass
class SearchResult:
    """Every item summary one search returned, eBay's total, and the Browse calls it took.

    `stalled` names why paging stopped early when eBay's `next` link repeated itself or did not
    advance: the result is then truncated and the card's refresh is not a success.
    """

    items: list[dict] = field(default_factory=list)
    total: int | None = None
    api_calls: int = 0
    truncated: bool = False
    stalled: str = ""


def has_credentials() -> bool:
    """Whether an eBay application keyset is configured."""
    return bool(settings.EBAY_CLIENT_ID and settings.EBAY_CLIENT_SECRET)


def _retry_after_seconds(response: requests.Response) -> float | None:
    value = response.headers.get("Retry-After", "")
    try:
        return max(0.0, float(value))
    except ValueError:
        return None


def _json_body(response: requests.Response) -> dict:
    try:
        body = response.json()
    except RecursionError:
        # Nested deeper than json.loads can go: read the page an item at a time instead, so one
        # such item is rejected on its own (as UnreadableItem) and the rest of the page is kept.
        try:
            body = read_page(response.text)
        except SearchFileError as exc:
            raise EbayError(f"eBay returned a page that cannot be read: {exc}") from exc
    except ValueError as exc:
        snippet = response.text[:120].replace("\n", " ")
        raise EbayError(f"eBay returned a body that is not JSON: {snippet!r}") from exc
    if not isinstance(body, dict):
        raise EbayError(f"eBay returned JSON that is not an object: {type(body).__name__}")
    return body


@dataclass
class _Paging:
    """Where one search's paging stands: the page size, pages fetched, the offset reached and
    the next links already followed."""

    limit: int
    max_items: int
    pages: int = 0
    offset: int = 0
    followed: set[str] = field(default_factory=set)


def _take_page(page: dict, result: SearchResult) -> list:
    """Add one search page's total and item summaries to the result; raises EbayError for a page
    without a list of items."""
    total = page.get("total")
    if isinstance(total, int) and not isinstance(total, bool):
        result.total = max(total, result.total or 0)
    summaries = page.get("itemSummaries")
    if summaries is None and total == 0:
        summaries = []  # eBay leaves the list out when nothing matches
    if not isinstance(summaries, list) or not all(isinstance(i, dict) for i in summaries):
        raise EbayError("eBay's search page has no itemSummaries list")
    result.items.extend(summaries)
    return summaries


class EbayClient:
    """A Browse API client: one HTTP session, token caching, retries, deadlines, a call gate."""

    def __init__(
        self,
        *,
        client_id: str | None = None,
        client_secret: str | None = None,
        campaign_id: str | None = None,
        marketplace_id: str | None = None,
        api_base_url: str | None = None,
        auth_url: str | None = None,
        timeout: float | None = None,
        max_retries: int | None = None,
        backoff_seconds: float | None = None,
        sleep: Callable[[float], None] = time.sleep,
        session: requests.Session | None = None,
        gate: CallGate | None = None,
        call_deadline: float | None = None,
    ):
        def pick(value, setting):
            return getattr(settings, setting) if value is None else value

        self.client_id = pick(client_id, "EBAY_CLIENT_ID")
        self.client_secret = pick(client_secret, "EBAY_CLIENT_SECRET")
        self.campaign_id = pick(campaign_id, "EBAY_CAMPAIGN_ID")
        self.marketplace_id = pick(marketplace_id, "EBAY_MARKETPLACE_ID")
        self.api_base_url = pick(api_base_url, "EBAY_API_BASE_URL").rstrip("/")
        self.auth_url = pick(auth_url, "EBAY_AUTH_URL").rstrip("/")
        self.timeout = pick(timeout, "EBAY_TIMEOUT_SECONDS")
        self.max_retries = pick(max_retries, "EBAY_MAX_RETRIES")
        self.backoff_seconds = pick(backoff_seconds, "EBAY_BACKOFF_SECONDS")
        self.call_deadline = pick(call_deadline, "EBAY_CALL_DEADLINE_SECONDS")
        self.sleep = sleep
        self.session = session or requests.Session()
        if gate is None:
            from listings.budget import CallGate  # the budget module builds on this one

            gate = CallGate(sleep=sleep)
        self.gate = gate
        self.card_deadline: float | None = None  # time.monotonic() past which a search gives up
        self.api_calls = 0  # Browse calls sent by this client, retries included
        self.calls_sent = 0  # every request sent, token requests included
        if not (self.client_id and self.client_secret):
            raise EbayError("EBAY_CLIENT_ID and EBAY_CLIENT_SECRET are not set")

    # --- OAuth -------------------------------------------------------------------------------

    @property
    def _token_cache_key(self) -> str:
        digest = hashlib.sha256(f"{self.auth_url}|{self.client_id}".encode()).hexdigest()[:16]
        return f"listings:ebay-token:{digest}"

    def _held_token(self, *, refused: str | None) -> str | None:
        """A usable token from the shared cache, else from this process, else None."""
        key = self._token_cache_key
        token = cache.get(key)
        if token and token != refused:
            return token
        token, expires_at = _tokens.get(key, ("", 0.0))
        if token and token != refused and time.monotonic() < expires_at:
            return token
        return None

    def _token(self, *, refused: str | None = None) -> str:
        """The cached token, or a new one; `refused` is a token eBay just rejected."""
        token = self._held_token(refused=refused)
        if token:
            return token
        # Wait for another worker's token request no longer than one call may take, nor past
        # the card's deadline: a hung token endpoint must not hold every worker.
        wait = self.call_deadline + self.timeout
        if self.card_deadline is not None:
            wait = min(wait, self.card_deadline - time.monotonic())
        if not _minting.acquire(timeout=max(0.0, wait)):
            raise CallDeadlinePassed(
                f"gave up waiting {max(0.0, wait):.0f} s for another worker's OAuth token request"
            )
        try:
            # Another worker may have replaced the refused token while this one waited.
            token = self._held_token(refused=refused)
            if token:
                return token
            token, expires_in = self._mint_token()
            timeout = max(1, expires_in - TOKEN_EXPIRY_MARGIN_SECONDS)
            _tokens[self._token_cache_key] = (token, time.monotonic() + timeout)
            cache.set(self._token_cache_key, token, timeout)
        finally:
            _minting.release()
        return token

    def _mint_token(self) -> tuple[str, int]:
        # Reference: https://developer.ebay.com/api-docs/static/oauth-client-credentials-grant.html
        basic = base64.b64encode(f"{self.client_id}:{self.client_secret}".encode()).decode()
        response = self._send(
            "POST",
            f"{self.auth_url}/identity/v1/oauth2/token",
            headers={
                "Authorization": f"Basic {basic}",
                "Content-Type": "application/x-www-form-urlencoded",
            },
            data={"grant_type": "client_credentials", "scope": OAUTH_SCOPE},
            budgeted=False,
        )
        if response.status_code >= 400:
            raise EbayError(f"eBay refused the OAuth token request: HTTP {response.status_code}")
        body = _json_body(response)
        token, expires_in = body.get("access_token"), body.get("expires_in")
        if not isinstance(token, str) or not token:
            raise EbayError("eBay's OAuth answer has no access_token")
        try:
            return token, int(expires_in)
        except (TypeError, ValueError) as exc:
            raise EbayError("eBay's OAuth answer has no usable expires_in") from exc

    # --- transport ---------------------------------------------------------------------------

    def _send(self, method: str, url: str, *, budgeted: bool = True, **kwargs) -> requests.Response:
        """Send one request with bounded retries on 429, 5xx and network failures.

        Every attempt passes the gate (breaker, run deadline, shared back-off) and is recorded
        for the breaker; only `budgeted` ones (Browse API calls) are counted against the budget.
        """
        attempt = 0
        while True:
            if self.card_deadline is not None and time.monotonic() >= self.card_deadline:
                raise CallDeadlinePassed("card deadline passed before the next call")
            self.gate.admit(deadline=self.card_deadline, budgeted=budgeted)
            self.calls_sent += 1
            self.api_calls += budgeted
            try:
                response = self._exchange(method, url, **kwargs)
            except (requests.ConnectionError, requests.Timeout, ChunkedEncodingError) as exc:
                self.gate.record(failed=True)
                if attempt >= self.max_retries:
                    raise EbayError(
                        f"eBay unreachable after {attempt + 1} attempts: {exc}"
                    ) from exc
                delay = self.backoff_seconds * 2**attempt
            except EbayError:  # past a deadline, or an answer too large to read
                self.gate.record(failed=True)
                raise
            except requests.RequestException as exc:
                raise EbayError(f"eBay request failed: {exc}") from exc
            else:
                failed = response.status_code == 429 or response.status_code >= 500
                self.gate.record(failed=failed)
                if not failed:
                    return response
                if attempt >= self.max_retries:
                    raise EbayError(
                        f"eBay answered HTTP {response.status_code} after {attempt + 1} attempts"
                    )
                delay = self.backoff_seconds * 2**attempt
                retry_after = _retry_after_seconds(response)
                if response.status_code == 429 and retry_after is not None:
                    delay = max(delay, retry_after)
            attempt += 1
            delay = min(delay, RETRY_AFTER_CAP_SECONDS)
            if self.card_deadline is not None and time.monotonic() + delay > self.card_deadline:
                raise CallDeadlinePassed(
                    f"card deadline: no time left for retry {attempt} in {delay:.0f} s"
                )
            logger.warning("eBay call to %s failed; retry %d in %.1f s", url, attempt, delay)
            self.gate.back_off(delay)  # every worker of the run waits, not only this one

    def _exchange(self, method: str, url: str, **kwargs) -> requests.Response:
        """One HTTP exchange, body included, that ends by its wall-clock deadline."""
        deadline = time.monotonic() + self.call_deadline
        card_bound = self.card_deadline is not None and self.card_deadline < deadline
        if card_bound:
            deadline = self.card_deadline
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise CallDeadlinePassed("card deadline passed before the call")
        # The socket timeout bounds each wait for a byte; the loop below bounds the whole body.
        wait = min(self.timeout, remaining)
        response = self.session.request(method, url, timeout=(wait, wait), stream=True, **kwargs)
        body = bytearray()
        try:
            while True:
                try:
                    chunk = response.raw.read1(READ_CHUNK, decode_content=True)
                except urllib3.exceptions.ReadTimeoutError as exc:
                    raise requests.Timeout(str(exc)) from exc
                except urllib3.exceptions.HTTPError as exc:
                    raise ChunkedEncodingError(str(exc)) from exc
                if not chunk:
                    break
                body += chunk
                if len(body) > MAX_ANSWER_BYTES:
                    raise EbayError(
                        f"eBay's answer is larger than {MAX_ANSWER_BYTES // (1024 * 1024)} MB "
                        "once decompressed: not read"
                    )
                if time.monotonic() > deadline:
                    limit = (
                        "card deadline passed during a call"
                        if card_bound
                        else (f"eBay's answer took longer than {self.call_deadline:g} s")
                    )
                    raise CallDeadlinePassed(f"{limit} ({len(body)} bytes received by then)")
        finally:
            response.close()
        response._content = bytes(body)
        return response

    def _get_json(self, url: str, *, params: dict | None = None, browse: bool = True) -> dict:
        """GET an API resource as JSON, re-minting the token once on a 401. A Browse API call
        (`browse`) names the marketplace and campaign and counts against the budget."""
        headers = {"Accept": "application/json"}
        if browse:
            headers["X-EBAY-C-MARKETPLACE-ID"] = self.marketplace_id
        if browse and self.campaign_id:
            # This header is what makes eBay return itemAffiliateWebUrl.
            headers["X-EBAY-C-ENDUSERCTX"] = f"affiliateCampaignId={self.campaign_id}"
        refused = None
        for _ in range(2):
            token = self._token(refused=refused)
            headers["Authorization"] = f"Bearer {token}"
            response = self._send("GET", url, params=params, headers=headers, budgeted=browse)
            if response.status_code != 401:
                break
            refused = token
        try:
            response.raise_for_status()
        except requests.HTTPError as exc:
            raise EbayError(f"eBay answered HTTP {response.status_code} for {url}") from exc
        return _json_body(response)

    # --- notification keys -------------------------------------------------------------------

    def public_key(self, key_id: str) -> PublicKey:
        """The Notification API's public key for a key id; raises EbayError."""
        # Reference: https://developer.ebay.com/api-docs/commerce/notification/resources/public_key/methods/getPublicKey
        url = f"{self.api_base_url}/commerce/notification/v1/public_key/{key_id}"
        body = self._get_json(url, browse=False)
        key, algorithm, digest = (body.get(name) for name in ("key", "algorithm", "digest"))
        if not all(isinstance(value, str) and value for value in (key, algorithm, digest)):
            raise EbayError("eBay's public key answer lacks key, algorithm or digest")
        return PublicKey(key=key, algorithm=algorithm, digest=digest)

    # --- search ------------------------------------------------------------------------------

    def search(
        self,
        *,
        query: str,
        category_ids: Sequence[str] = (),
        max_items: int | None = None,
        buying_options: Sequence[str] = ("FIXED_PRICE", "AUCTION"),
        currency: str | None = None,
        item_location_country: str | None = None,
    ) -> SearchResult:
        """Every item summary for a query, following `next` up to max_items; raises EbayError.

        At most ceil(min(total, max_items) / limit) pages are asked for: `next` links that would
        need more (moving on a few items a page) leave the result truncated and `stalled`.
        """
        # Reference: https://developer.ebay.com/api-docs/buy/browse/resources/item_summary/methods/search
        max_items = settings.EBAY_MAX_ITEMS_PER_CARD if max_items is None else max_items
        currency = currency or settings.EBAY_CURRENCY
        country = (
            settings.EBAY_ITEM_LOCATION_COUNTRY
            if item_location_country is None
            else item_location_country
        )
        filters = [
            f"buyingOptions:{{{'|'.join(buying_options)}}}",
            f"conditionIds:{{{'|'.join(WORKING_CONDITION_IDS)}}}",
            f"priceCurrency:{currency}",
        ]
        if country:
            filters.append(f"itemLocationCountry:{country}")
        paging = _Paging(limit=min(PAGE_LIMIT, max(1, max_items)), max_items=max_items)
        params: dict | None = {
            "q": query,
            "category_ids": ",".join(category_ids or DEFAULT_CATEGORY_IDS),
            "filter": ",".join(filters),
            "limit": str(paging.limit),
        }
        url = f"{self.api_base_url}/buy/browse/v1/item_summary/search"
        calls_before = self.api_calls
        result = SearchResult()
        while True:
            page = self._get_json(url, params=params)
            paging.pages += 1
            summaries = _take_page(page, result)
            next_url = page.get("next")
            if len(result.items) >= max_items:
                result.truncated = bool(next_url) or len(result.items) > max_items
                del result.items[max_items:]
                break
            if not next_url or not summaries:
                break
            if not self._follows(next_url=next_url, page=page, result=result, paging=paging):
                break
            url, params = next_url, None
        result.api_calls = self.api_calls - calls_before
        return result

    def _follows(self, *, next_url, page: dict, result: SearchResult, paging: _Paging) -> bool:
        """Whether to follow eBay's `next` link; when not, why the result is truncated."""
        if not isinstance(next_url, str) or not next_url.startswith(self.api_base_url + "/"):
            # Never send the bearer token to a host other than the configured API.
            raise EbayError(f"eBay's next link points outside the API: {next_url!r}")
        next_offset = parse_qs(urlsplit(next_url).query).get("offset", ["0"])[0]
        if not ASCII_DIGITS.fullmatch(next_offset):
            result.truncated = True
            result.stalled = f"eBay's next link has an unreadable offset {next_offset[:20]!r}"
            return False
        if int(next_offset) >= MAX_OFFSET:
            result.truncated = True
            return False
        # eBay's answer says the page size it used; it may be smaller than the one asked.
        echoed = page.get("limit")
        if isinstance(echoed, int) and not isinstance(echoed, bool) and 0 < echoed < paging.limit:
            paging.limit = echoed
        wanted = paging.max_items if result.total is None else min(result.total, paging.max_items)
        allowed = max(1, math.ceil(wanted / paging.limit))
        if paging.pages >= allowed:
            result.truncated = True
            result.stalled = (
                f"eBay's next links asked for more than the {allowed} pages "
                f"{wanted} items need ({len(result.items)} items fetched)"
            )
            return False
        if next_url in paging.followed or int(next_offset) <= paging.offset:
            # A next link that repeats or goes nowhere would be followed until the item cap.
            result.truncated = True
            result.stalled = (
                f"eBay's next link did not advance past offset {paging.offset} "
                f"({len(result.items)} items fetched)"
            )
            return False
        paging.followed.add(next_url)
        paging.offset = int(next_offset)
        return True
