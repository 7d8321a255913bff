"""A fake eBay (OAuth + Browse search) on 127.0.0.1 that fails on purpose.

Tests point EBAY_API_BASE_URL / EBAY_AUTH_URL at it and script what each search query answers,
one step per request, so a refresh meets real sockets, real timeouts and real broken bodies.
"""

import contextlib
import gzip
import json
import socket
import sys
import threading
import time
import zlib
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

TOKEN_PATH = "/identity/v1/oauth2/token"
SEARCH_PATH = "/buy/browse/v1/item_summary/search"


@dataclass
class Step:
    """One scripted answer: a status, headers and a raw body, optionally after a delay."""

    status: int = 200
    body: bytes = b""
    headers: dict = field(default_factory=dict)
    delay: float = 0.0
    close_early: bool = False  # send headers promising more body than is sent, then hang up
    drip: float = 0.0  # seconds between single bytes of the body: a trickle, never a silence


def items_page(items, *, total=None, next_href=None, limit=200):
    envelope = {
        "href": "",
        "total": len(items) if total is None else total,
        "limit": limit,
        "offset": 0,
        "itemSummaries": items,
    }
    if next_href:
        envelope["next"] = next_href
    return Step(body=json.dumps(envelope).encode(), headers={"Content-Type": "application/json"})


def status(code, *, retry_after=None, body=b'{"errors": [{"message": "fault"}]}'):
    headers = {"Content-Type": "application/json"}
    if retry_after is not None:
        headers["Retry-After"] = str(retry_after)
    return Step(status=code, body=body, headers=headers)


def html_error_page():
    return Step(
        body=b"<html><body><h1>Service temporarily unavailable</h1></body></html>",
        headers={"Content-Type": "text/html"},
    )


def truncated_json(items):
    body = json.dumps({"total": len(items), "itemSummaries": items}).encode()
    return Step(body=body[: len(body) // 2], headers={"Content-Type": "application/json"})


def slow(step, seconds):
    step.delay = seconds
    return step


def dripped(step, seconds_per_byte):
    step.drip = seconds_per_byte
    return step


def gzip_bomb(megabytes: int) -> Step:
    """A valid search page whose gzip body is small but inflates to `megabytes` of JSON."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)  # gzip framing
    parts = [compressor.compress(b'{"total": 0, "itemSummaries": [], "padding": "')]
    block = b"0" * (1 << 20)
    parts += [compressor.compress(block) for _ in range(megabytes)]
    parts += [compressor.compress(b'"}'), compressor.flush()]
    return Step(
        body=b"".join(parts),
        headers={"Content-Type": "application/json", "Content-Encoding": "gzip"},
    )


def gzipped(step: Step) -> Step:
    step.body = gzip.compress(step.body)
    step.headers = {**step.headers, "Content-Encoding": "gzip"}
    return step


def catalog_pages(*, items_per_card: int, page_size: int = 200, latency: float = 0.0):
    """A responder answering every query with items_per_card items in pages, `next` included."""

    def respond(params: dict, base_url: str) -> Step:
        query, offset = params.get("q", ""), int(params.get("offset", "0"))
        count = max(0, min(page_size, items_per_card - offset))
        items = [
            {
                "itemId": f"v1|{zlib.crc32(query.encode()):010d}{n:06d}|0",
                "title": f"{query} graphics card #{n}",
                "price": {"value": f"{500 + n}.00", "currency": "USD"},
                "condition": "Used",
                "conditionId": "3000",
                "buyingOptions": ["FIXED_PRICE"],
                "itemWebUrl": f"https://www.ebay.com/itm/{n}",
                "seller": {"feedbackPercentage": "99.5", "feedbackScore": 500},
            }
            for n in range(offset, offset + count)
        ]
        next_href = None
        if offset + count < items_per_card:
            next_href = (
                f"{base_url}{SEARCH_PATH}?q={query}&limit={page_size}&offset={offset + count}"
            )
        page = items_page(items, total=items_per_card, next_href=next_href, limit=page_size)
        return slow(page, latency)

    return respond


class _Handler(BaseHTTPRequestHandler):
    """Answers for one FakeEbay (`fake`, set on a subclass per server)."""

    fake: "FakeEbay"
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def _send(self, step: Step):
        if step.delay:
            time.sleep(step.delay)
        self.send_response(step.status)
        for name, value in step.headers.items():
            self.send_header(name, value)
        length = len(step.body) * (2 if step.close_early else 1)
        self.send_header("Content-Length", str(length))
        self.end_headers()
        try:
            if step.drip:
                for byte in step.body:
                    self.wfile.write(bytes([byte]))
                    self.wfile.flush()
                    with self.fake._lock:
                        self.fake.bytes_dripped += 1
                    time.sleep(step.drip)
            else:
                self.wfile.write(step.body)
                self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
            return
        if step.close_early:
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        parsed = urlparse(self.path)
        self.fake.requests.append(("POST", parsed.path, {}))
        if parsed.path != TOKEN_PATH:
            return self._send(status(404))
        with self.fake._lock:
            steps = self.fake.token_steps
            scripted = (steps.pop(0) if len(steps) > 1 else steps[0]) if steps else None
        if scripted is not None:
            return self._send(scripted)
        with self.fake._lock:
            self.fake.tokens_issued += 1
            token = f"token-{self.fake.tokens_issued}"
        body = json.dumps(
            {
                "access_token": token,
                "expires_in": 7200,
                "token_type": "Application Access Token",
            }
        ).encode()
        self._send(Step(body=body, headers={"Content-Type": "application/json"}))

    def do_GET(self):
        parsed = urlparse(self.path)
        params = {k: v[-1] for k, v in parse_qs(parsed.query).items()}
        params["_headers"] = dict(self.headers.items())
        self.fake.requests.append(("GET", parsed.path, params))
        if parsed.path != SEARCH_PATH:
            return self._send(status(404))
        auth = self.headers.get("Authorization", "")
        token = auth.removeprefix("Bearer ").strip()
        if not token.startswith("token-") or token in self.fake.revoked_tokens:
            return self._send(status(401))
        with self.fake._lock:
            self.fake.in_flight += 1
            self.fake.max_in_flight = max(self.fake.max_in_flight, self.fake.in_flight)
        try:
            step = self.fake._next_step(params.get("q", ""))
            if step is None:
                step = self.fake.responder(params, self.fake.url)
            self._send(step)
        finally:
            with self.fake._lock:
                self.fake.in_flight -= 1


class _QuietServer(ThreadingHTTPServer):
    """A client that hangs up (a timed-out or abandoned call, as the fault cases make) is part
    of the script, not an error to print a traceback for."""

    def handle_error(self, request, client_address):
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class FakeEbay:
    """Start with `with FakeEbay() as ebay:`; script with `ebay.script(query, [steps...])`."""

    def __init__(self):
        self.scripts: dict[str, list[Step]] = {}
        self.token_steps: list[Step] = []  # scripted OAuth answers; empty: a fresh token each time
        self.default: Step | None = None
        self.requests: list[tuple[str, str, dict]] = []
        self.tokens_issued = 0
        self.revoked_tokens: set[str] = set()
        self.responder = None  # (params, base_url) -> Step for queries without a script
        self.in_flight = 0
        self.max_in_flight = 0  # the most searches answered at the same time
        self.bytes_dripped = 0
        self._lock = threading.Lock()
        self._server = _QuietServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._server.shutdown()
        self._server.server_close()

    def script(self, query: str, steps: list[Step]) -> None:
        """Answer successive searches whose q equals `query` with these steps; the last repeats."""
        self.scripts[query] = list(steps)

    def script_token(self, steps: list[Step]) -> None:
        """Answer successive OAuth token requests with these steps; the last repeats."""
        self.token_steps = list(steps)

    def token_requests(self) -> int:
        return sum(1 for method, path, _ in self.requests if path == TOKEN_PATH)

    def revoke_current_token(self) -> None:
        """The next search with the token issued last gets a 401, as when a token expires."""
        self.revoked_tokens.add(f"token-{self.tokens_issued}")

    def searches(self, query: str | None = None) -> list[dict]:
        return [
            params
            for method, path, params in self.requests
            if path == SEARCH_PATH and (query is None or params.get("q") == query)
        ]

    def _next_step(self, query: str) -> Step:
        with self._lock:
            steps = self.scripts.get(query)
            if not steps:
                if self.responder is not None:
                    return None
                return self.default or items_page([])
            return steps.pop(0) if len(steps) > 1 else steps[0]

    def _handler(self):
        return type("Handler", (_Handler,), {"fake": self})


def closed_port_url() -> str:
    """A loopback URL where nothing listens: connection refused."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


class BlackHole:
    """A loopback port whose accept queue is full, so new connections hang: a connect timeout."""

    def __init__(self):
        self._listener = socket.socket()
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(0)
        self._fillers = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._listener.getsockname()[1]}"

    def __enter__(self):
        for _ in range(4):
            filler = socket.socket()
            filler.setblocking(False)
            with contextlib.suppress(BlockingIOError):
                filler.connect(self._listener.getsockname())
            self._fillers.append(filler)
        return self

    def __exit__(self, *exc):
        for filler in self._fillers:
            filler.close()
        self._listener.close()
