"""Hostile card data on every page type: labels, names, notes, eBay titles and source URLs are
shown as text, never as markup, and no stored URL other than http(s) becomes a link."""

import csv
import io
import json
import re
from datetime import date, timedelta
from urllib.parse import quote, urlencode, urlsplit
from xml.etree import ElementTree

import pytest
from django.test import Client, override_settings
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse
from django.utils import timezone

from catalog.models import (
    BenchmarkResult,
    CloudOffer,
    LlmMeasurement,
    LlmModel,
    MlModel,
    Quantization,
    UseCase,
)
from metrics.alerts.tokens import make_token
from metrics.models import PriceAlert
from metrics.ranking import recompute_rankings
from shopagent.sitemaps import SITEMAPS
from tests.factories import make_gpu, make_listing, make_month
from tests.sitemap import section_paths, sitemap_paths

SCRIPT = "<script>alert(1)</script>"
INDEXNOW_KEY = "0f3c5d7e9a1b2c4d"
IMG = '"><img src=x onerror=alert(1)>'
HOSTILE = f"{SCRIPT} {IMG} &amp; 'single'"
# What a page shows for HOSTILE: every character that means something in HTML escaped.
SHOWN = (
    "&lt;script&gt;alert(1)&lt;/script&gt; &quot;&gt;&lt;img src=x onerror=alert(1)&gt; "
    "&amp;amp; &#x27;single&#x27;"
)
VENDOR = "<script>alert(2)"
JS_URL = "javascript:alert(1)"
DATA_URL = "data:text/html,<script>alert(1)</script>"

# Site paths, queries, fragments, the web and the feedback address: every link a page may hold.
SAFE_HREFS = ("/", "#", "?", "http://", "https://", "mailto:")
# Pages that show no card, model or listing data, so there is no hostile text to look for.
NOTHING_TO_SHOW = {
    "robots-txt",
    "healthz",
    "not-found",
    "metrics:data-index",
    "metrics:alerts-about",
}


def name(text: str) -> str:
    return f"Evil {text}"


# An 8B dense model's architecture as its config.json gives it (Llama 3.1 8B).
LLAMA_8B = {
    "total_params_b": 8,
    "active_params_b": 8,
    "layers": 32,
    "hidden_size": 4096,
    "attention_heads": 32,
    "kv_heads": 8,
    "head_dim": 128,
    "max_context": 131072,
}


def texts(*fields: str) -> dict[str, str]:
    """The hostile text in each of the fields (all long enough to hold it)."""
    return dict.fromkeys(fields, HOSTILE)


@pytest.fixture(scope="module")
def hostile_site(module_db):
    """Written once for the module's tests (see `module_db`): a catalog whose every shown text
    is hostile, with MLPerf and LLM figures and listings whose source URLs were written straight
    to the database (past the validators)."""
    with module_db.writing("hostile_site"):
        return _hostile_site()


@pytest.fixture
def hostile(hostile_site, db):
    return hostile_site


def _hostile_site() -> dict:
    use_case = UseCase.objects.create(
        slug="evil-use", area=HOSTILE[:60], task=name(HOSTILE), summary=HOSTILE
    )
    model = MlModel.objects.create(
        slug="evil-model",
        mlperf_id="resnet50",
        use_case=use_case,
        url=JS_URL,
        name=name(HOSTILE),
        summary=HOSTILE,
    )
    gpu = make_gpu(
        "evil-card",
        label=name(HOSTILE),
        architecture=HOSTILE[:60],
        aliases=[HOSTILE],
        spec_notes=f"FP32: {HOSTILE}\nMemory: {HOSTILE}",
        ml_software="limited",
        source_url=JS_URL,
        reference_urls=[JS_URL, DATA_URL, "ftp://example.com/spec.pdf"],
        typical_used_usd=3000,
        **texts("ml_software_note", "summary", "source", "typical_price_source"),
    )
    # A vendor outside the choices, as a raw database write could leave one (20 characters at most).
    other = make_gpu("card-b", manufacturer=VENDOR, memory_gb=24, fp32_tflops=20, int8_tops=160)
    for card, samples in ((gpu, 20000.0), (other, 9000.0)):
        BenchmarkResult.objects.create(
            gpu=card,
            model=model,
            round="MLPerf Inference v4.1",
            samples_per_s=samples,
            source_url=JS_URL,
            **texts("system_id", "system_name", "submitter", "framework"),
        )
    llm = _hostile_llm(gpu)
    # Five at the going rate and one well under it, new today: a deal, in the feeds too.
    today = timezone.now() - timedelta(hours=1)
    for price in ("1500.00", "3000.00", "3000.00", "3000.00", "3000.00", "3000.00"):
        make_listing(gpu, price=price, title=name(HOSTILE), condition=HOSTILE, first_seen_at=today)
    for price in ("1200.00", "1300.00"):
        make_listing(other, price=price)
    _hostile_machine()
    recompute_rankings()
    _past_months(gpu)
    alert = PriceAlert.objects.create(
        email="a@example.com", gpu=gpu, target_price=2000, created_at=today, confirmed_at=today
    )
    return {
        "gpu": gpu,
        "other": other,
        "llm": llm,
        "model": model,
        "use_case": use_case,
        "alert": alert,
    }


def _hostile_llm(gpu):
    """An LLM measured on the hostile card, and a cloud offer of it, all texts hostile."""
    quant = Quantization.objects.create(
        slug="q4_k_m", name="Q4_K_M", bits_per_weight=4.85, source_url=DATA_URL
    )
    llm = LlmModel.objects.create(
        slug="evil-llm-8b",
        name=name(HOSTILE),
        family=HOSTILE[:60],
        url=JS_URL,
        config_url=DATA_URL,
        **LLAMA_8B,
        **texts("licence", "notes"),
    )
    LlmMeasurement.objects.create(
        gpu=gpu,
        model=llm,
        quant=quant,
        backend=HOSTILE[:60],
        decode_tokens_per_s=90,
        source_url=JS_URL,
        published_on=date(2025, 6, 1),
    )
    # A cloud offer whose texts are hostile and whose source URL was never validated.
    CloudOffer.objects.create(
        gpu=gpu,
        kind="on-demand",
        usd_per_gpu_hour="1.25",
        observed_on=date(2025, 9, 17),
        source_url=JS_URL,
        provider=HOSTILE[:80],
        **texts("instance", "note"),
    )
    return llm


def _hostile_machine():
    """A whole computer, so its own rows (the GPU's share, the host-PC cost) show the text too."""
    machine = make_gpu(
        "evil-machine",
        label=name(HOSTILE),
        form_factor="system",
        memory_gb=128,
        gpu_memory_gb=96,
        memory_bandwidth_gbs=800,
        gpu_cores=60,
        llama_cpp_backend="metal",
        ml_software="supported",
        **texts("ml_software_note"),
    )
    make_listing(machine, price="2500.00", title=name(HOSTILE))


def _past_months(gpu):
    """Two finished months of prices, so the market reports show the card."""
    this_month = timezone.now().date().replace(day=1)
    before = (this_month - timedelta(days=1)).replace(day=1)
    earlier = (before - timedelta(days=1)).replace(day=1)
    for month, price in ((earlier, 3200), (before, 3000)):
        for scope in ("all", "used"):
            make_month(gpu, month, scope, price, days=28)


def _xml(content: bytes) -> ElementTree.Element:
    return ElementTree.fromstring(content)  # noqa: S314 - our own pages


def _other_paths(hostile) -> list[str]:
    """The pages no sitemap lists: searches, filters, feeds, data files, errors, redirects."""
    slug, other = hostile["gpu"].slug, hostile["other"].slug
    listing = hostile["gpu"].listings.first()
    alert = hostile["alert"].pk
    return [
        reverse("robots-txt"),
        reverse("indexnow-key", kwargs={"key": INDEXNOW_KEY}),
        f"/{quote(SCRIPT)}.txt",
        reverse("healthz"),
        reverse("sitemap"),
        f"{reverse('catalog:search')}?{urlencode({'q': 'card'})}",
        f"{reverse('catalog:search')}?{urlencode({'q': 'evil'})}",
        f"{reverse('catalog:search')}?{urlencode({'q': HOSTILE})}",
        f"{reverse('metrics:shop-index')}?{urlencode({'vendor': 'NVIDIA', 'q': 'evil'})}",
        f"{reverse('metrics:shop-index')}?{urlencode({'software': 'limited'})}",
        f"{reverse('metrics:compare')}?{urlencode([('gpu', slug), ('gpu', other)])}",
        reverse("metrics:compare-pair", kwargs={"pair": f"{other}-vs-{slug}"}),
        reverse("metrics:llm-model", kwargs={"slug": hostile["llm"].slug}),
        reverse("metrics:deals-feed"),
        reverse("metrics:gpu-deals-feed", kwargs={"slug": slug}),
        reverse("metrics:data-gpus-json"),
        reverse("metrics:data-gpus-csv"),
        f"{reverse('metrics:rent-or-buy-json')}?kwh_usd=0.30",
        f"{reverse('metrics:llm-json')}?model={hostile['llm'].slug}&quant=q4_k_m",
        f"{reverse('metrics:finder-json')}?task=fp16&budget=5000",
        f"{reverse('metrics:finder-json')}?task=llm-8b&host=500",
        f"{reverse('metrics:shop-index')}?{urlencode({'kind': 'systems'})}",
        f"{reverse('metrics:home')}?{urlencode({'task': 'llm-8b', 'host': '500'})}",
        reverse("metrics:price-history-csv", kwargs={"slug": slug}),
        reverse("metrics:price-history-json", kwargs={"slug": slug}),
        reverse("listings:go", kwargs={"pk": listing.pk}),
        reverse("metrics:reports-feed"),
        f"{reverse('metrics:alerts-subscribe')}?gpu={slug}",
        *(
            reverse(f"metrics:alerts-{purpose}", kwargs={"token": make_token(alert, purpose)})
            for purpose in ("confirm", "manage", "unsubscribe")
        ),
        reverse("metrics:data-gpu-listings", kwargs={"slug": slug}),
        f"{reverse('listings:account-deletion')}?{urlencode({'challenge_code': HOSTILE})}",
        "/ml/learn/gpu/no-such-card/",
        f"/ml/{quote(SCRIPT)}/",
    ]


def _route_names(resolver=None, namespace="") -> set[str]:
    names = set()
    for pattern in (resolver or get_resolver()).url_patterns:
        if isinstance(pattern, URLResolver):
            if pattern.namespace != "admin":
                inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
                names |= _route_names(pattern, inner)
        elif isinstance(pattern, URLPattern) and pattern.name:
            names.add(f"{namespace}{pattern.name}")
    return names


@pytest.fixture(scope="module")
def visited_pages(hostile_site, module_db):
    """Every page as (route name, path, response), fetched once for the module's tests."""
    with module_db.writing("visited_pages"):
        return _visit(Client(), hostile_site)


@pytest.fixture
def pages(visited_pages, db):
    return visited_pages


def _visit(client, hostile) -> list:
    found = []
    for path in dict.fromkeys(
        [*sitemap_paths(client), *section_paths(client), *_other_paths(hostile)]
    ):
        with override_settings(INDEXNOW_KEY=INDEXNOW_KEY, EBAY_VERIFICATION_TOKEN="t" * 32):
            response = client.get(path)
        if response.status_code == 404:
            route = "not-found"
        else:
            route = resolve(urlsplit(path).path).view_name
        found.append((route, path, response))
    return found


def _html_pages(pages):
    return [
        (route, path, response.content.decode())
        for route, path, response in pages
        if response["Content-Type"].startswith("text/html") and response.status_code != 302
    ]


def test_the_pages_cover_every_route_but_the_admin_sign_in(pages):
    visited = {route for route, _, _ in pages}
    assert _route_names() - {"admin-login"} <= visited
    assert "not-found" in visited
    assert all(response.status_code in (200, 302, 404) for _, _, response in pages)
    redirects = [response["Location"] for _, _, response in pages if response.status_code == 302]
    assert redirects and all(url.startswith(("/", "https://")) for url in redirects)


def test_no_page_shows_hostile_text_as_markup_and_each_shows_it_escaped(pages):
    for route, path, html in _html_pages(pages):
        assert "<script>alert(" not in html, path
        assert not re.search(r"<img[^>]*onerror", html), path
        if route not in NOTHING_TO_SHOW:
            assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html, path


def test_the_card_page_shows_every_hostile_field_as_the_escaped_text(client, hostile):
    html = client.get(hostile["gpu"].get_absolute_url()).content.decode()
    assert f"<h1>Evil {SHOWN}</h1>" in html
    assert html.count(SHOWN) >= 6  # label, aliases, notes, ML-software note, summary, price source


def test_the_all_cards_page_shows_the_hostile_vendor_escaped(client, hostile):
    html = client.get(reverse("metrics:shop-index")).content.decode()
    assert "&lt;script&gt;alert(2)" in html


def test_no_page_links_a_stored_javascript_data_or_ftp_url(pages):
    for _, path, html in _html_pages(pages):
        hrefs = re.findall(r'href="([^"]*)"', html)
        assert all(h.startswith(SAFE_HREFS) for h in hrefs), (path, hrefs)


def test_a_stored_url_that_is_not_http_is_shown_as_text(client, hostile):
    html = client.get(hostile["gpu"].get_absolute_url()).content.decode()
    assert f"<li>{JS_URL}</li>" in html
    assert "<li>data:text/html,&lt;script&gt;alert(1)&lt;/script&gt;</li>" in html
    html = client.get(hostile["model"].get_absolute_url()).content.decode()
    assert f"<dd>{JS_URL}</dd>" in html


def test_json_ld_blocks_parse_and_hold_no_angle_bracket(pages):
    for _, path, html in _html_pages(pages):
        for block in re.findall(r'<script type="application/ld\+json">(.*?)</script>', html, re.S):
            assert "<" not in block, path
            json.loads(block)


def test_xml_pages_parse_and_feed_summaries_hold_no_markup(pages):
    xml_pages = [
        (path, response)
        for _, path, response in pages
        if response["Content-Type"].startswith(("application/xml", "application/atom+xml"))
    ]
    # The sitemap index and its sections, both deals feeds and the reports feed.
    assert len(xml_pages) == 1 + len(SITEMAPS) + 3
    for path, response in xml_pages:
        root = _xml(response.content)
        for element in root.iter():
            if element.get("type") == "html":  # a feed reader renders this text as HTML
                assert "<script" not in element.text and "<img" not in element.text, path


def test_the_feed_names_the_hostile_card_as_text(client, hostile):
    root = _xml(client.get(reverse("metrics:deals-feed")).content)
    atom = "{http://www.w3.org/2005/Atom}"
    entry = root.find(f"{atom}entry")
    assert entry.find(f"{atom}title").text.startswith(f"Evil {HOSTILE} (used) at $1,500.00")
    assert f"Evil {SHOWN} at $1,500.00 per card" in entry.find(f"{atom}summary").text


def test_data_exports_carry_the_hostile_text_exactly(client, hostile):
    cards = json.loads(client.get(reverse("metrics:data-gpus-json")).content)
    labels = [card["name"] for card in cards["gpus"]]
    assert name(HOSTILE) in labels
    text = client.get(reverse("metrics:data-gpus-csv")).content.decode()
    assert name(HOSTILE) in [cell for row in csv.reader(io.StringIO(text)) for cell in row]
    query = {"model": "evil-llm-8b", "quant": "q4_k_m"}
    llms = json.loads(client.get(reverse("metrics:llm-json"), query).content)
    assert [card["slug"] for card in llms["cards"]] == ["card-b", "evil-card", "evil-machine"]


def test_the_admin_change_pages_show_hostile_objects_escaped(admin_client, hostile):
    objects = [
        hostile["gpu"],
        hostile["model"],
        hostile["use_case"],
        hostile["llm"],
        hostile["gpu"].benchmark_results.first(),
        hostile["gpu"].llm_measurements.first(),
        hostile["gpu"].listings.first(),
    ]
    for obj in objects:
        meta = obj._meta
        url = reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[obj.pk])
        html = admin_client.get(url).content.decode()
        assert "<script>alert(1)" not in html, url
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html, url
        assert not re.search(r'href="(javascript|data):', html), url
