"""Open data: every card's specs, headline prices and ranked MLPerf results as JSON and CSV, and
one card's listings as JSON, and what every data document shares: its version, when its data was
current (`as_of`), its licence and its documentation (the data README at /ml/data/), in the body
of a JSON document and in the headers of every one.

Three queries whatever the number of cards: the cards with their price rows, the MLPerf results
the rankings use (stored UseCaseScore rows in any condition, one per card and model) and the
Four queries whatever the number of cards: the cards with their price rows, the MLPerf results
the rankings use (stored UseCaseScore rows in any condition, one per card and model), the
on-demand cloud offers and the data's as-of time.
"""

import csv
import io
import json
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.db.models.functions import Coalesce
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import http_date
from django.views.decorators.http import require_safe

from catalog.cloud_offers import on_demand_rents
from catalog.llm import DEFAULT_CONTEXT
from catalog.models import Gpu
from listings.open_data import listing_records
from listings.shop.queries import last_checked_at
from metrics.going_rate import read_going_rates
from metrics.llm import DEFAULT_QUANT
from metrics.llm_finder import finder_tasks
from metrics.models import Scope, UseCaseScore
from metrics.selectors import data_as_of, with_prices
from shopagent.cache import cached_page

# The open data's format: raised when a field is renamed, removed or changes meaning (the data
# README lists what changed), so a reader can tell which documentation applies.
DATA_VERSION = 2

LICENCE = {
    "name": "CC BY-SA 4.0",
    "url": "https://creativecommons.org/licenses/by-sa/4.0/",
}
ATTRIBUTION = (
    "GPU specs adapted from gpu-agent / gpupoet.com (CC BY-SA 4.0), with corrections from vendor "
    "datasheets cited per card; MLPerf Inference results from MLCommons' published logs (MLPerf is "
    "a trademark of MLCommons); headline prices from eBay listings screened by ShopAgent."
)
BASIS = (
    "Dense figures (no sparsity). fp32_tflops: shader FP32. fp16_tflops and fp8_tflops: dense "
    "tensor throughput with FP32 accumulate; fp16_fp16acc_tflops: with FP16 accumulate. "
    "l2_cache_mb: the GPU's L2 cache, summed over a multi-die card's dies, AMD's Infinity Cache "
    "not counted. shared_memory_per_sm_kb: the most shared memory one multiprocessor can give "
    "(NVIDIA: the largest shared-memory carve-out per SM, as CUDA reports it; AMD: LDS per "
    "compute unit). "
    "form_factor 'system' is a whole computer with unified memory (a Mac, a Ryzen AI Max+ 395 "
    "machine, a DGX Spark): its price is the computer's, gpu_memory_gb the share of its memory "
    "its GPU may use by default (null for cards, whose GPU uses all of memory_gb), gpu_cores "
    "its GPU cores as the vendor counts them, typical_power_w its default power and "
    "board_power_w its maximum. "
    "headline_*_usd: the going rate, the median of the 5 cheapest fixed-price screened eBay "
    "listings in that condition without a flag (engineering samples and sellers with little "
    "feedback left out, one seller's several listings counted once), null when none. "
    "listing_count: every listing the card's page lists (auctions and flagged listings "
    "included); from_usd: the cheapest fixed-price landed price per card without a flag, null "
    "when none. cloud_usd_per_hour: the median of the card's cited on-demand cloud offers in "
    "USD per GPU-hour (multi-GPU instances divided by their GPUs), null when none. "
    "mlperf: each model's best valid single-accelerator Closed Offline result in any round "
    "(highest tokens_per_s for language models, MLPerf's official LLM metric, else samples_per_s; "
    "a shipping run before a preview one); tokens_per_s is null for other models; benchmark is "
    "the MLPerf benchmark that ran (a 99.9% accuracy run also meets 99%); availability is "
    "MLPerf's status of the system (available, or preview: not shipping yet); system and "
    "submitter name the run; notes are its caveats."
)

# A text cell starting with one of these is a formula to a spreadsheet (CSV injection): OWASP's
# advice is to start such a cell with a single quote, which shows it as text.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_text(value):
    """The cell as a spreadsheet shows it as text, never runs it: text that would start a
    formula gets a leading single quote. Numbers pass as they are."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def write_csv_row(writer, row) -> None:
    """One CSV row through spreadsheet_text: every CSV the site serves writes rows this way."""
    writer.writerow([spreadsheet_text(cell) for cell in row])


# (column, Gpu field or annotation); every card has each column, null when unknown.
CARD_COLUMNS = (
    ("slug", "slug"),
    ("name", "label"),
    ("vendor", "manufacturer"),
    ("category", "category"),
    ("memory_gb", "memory_gb"),
    ("memory_bandwidth_gbs", "memory_bandwidth_gbs"),
    ("fp32_tflops", "fp32_tflops"),
    ("fp16_tflops", "fp16_tflops"),
    ("fp16_fp16acc_tflops", "fp16_fp16acc_tflops"),
    ("fp8_tflops", "fp8_tflops"),
    ("int8_tops", "int8_tops"),
    ("tensor_cores", "tensor_cores"),
    ("l2_cache_mb", "l2_cache_mb"),
    ("shared_memory_per_sm_kb", "shared_memory_per_sm_kb"),
    ("board_power_w", "tdp_w"),
    ("gpu_memory_gb", "gpu_memory_gb"),
    ("gpu_cores", "gpu_cores"),
    ("typical_power_w", "typical_power_w"),
    ("ml_software", "ml_software"),
    ("form_factor", "form_factor"),
    ("cooling", "cooling"),
    ("devices", "devices"),
    ("llama_cpp_backend", "llama_cpp_backend"),
    ("headline_used_usd", "used_headline_price"),
    ("headline_new_usd", "new_headline_price"),
    ("listing_count", "listings_shown"),
    ("from_usd", "all_lowest_price"),
    ("source_url", "source_url"),
)
# Columns that are not Gpu fields, before `mlperf`.
DERIVED_COLUMNS = ("cloud_usd_per_hour",)
COLUMNS = (*(name for name, _ in CARD_COLUMNS), *DERIVED_COLUMNS, "mlperf")


@dataclass(frozen=True)
class GpuData:
    """The export: one dict per card, in slug order, each with the COLUMNS keys."""

    cards: list[dict]


def _plain(value):
    """JSON-ready: Decimal prices become numbers, blank text becomes null."""
    if isinstance(value, Decimal):
        return float(value)
    if value == "":
        return None
    return value


def gpu_data() -> GpuData:
    """Every card with specs, used/new headline prices, its median on-demand cloud rent and ranked
    MLPerf rows (three queries)."""
    scores = (
        UseCaseScore.objects.filter(scope=Scope.ALL)
        .order_by("gpu_id", "model__slug")
        .values_list(
            "gpu_id",
            "model__slug",
            "samples_per_s",
            "tokens_per_s",
            "round",
            "source_url",
            "run_benchmark",
            "availability",
            "system_name",
            "submitter",
            "notes",
        )
    )
    mlperf: dict[int, list[dict]] = {}
    for gpu_id, model, samples, tokens, round_, source_url, ran, *run in scores:
        availability, system, submitter, notes = (_plain(value) for value in run)
        mlperf.setdefault(gpu_id, []).append(
            {
                "model": model,
                "samples_per_s": samples,
                "tokens_per_s": tokens,
                "round": round_,
                "source_url": source_url or None,
                "benchmark": ran or None,
                "availability": availability,
                "system": system,
                "submitter": submitter,
                "notes": notes,
            }
        )
    scopes = {"new_": Scope.NEW, "used_": Scope.USED, "all_": Scope.ALL}
    # A card without a price row has no listing: its count is 0, not unknown.
    cards = with_prices(Gpu.objects.all(), scopes).annotate(
        listings_shown=Coalesce("all_listing_count", 0)
    )
    rows = cards.order_by("slug").values_list("id", *(field for _, field in CARD_COLUMNS))
    cloud = {gpu_id: rent.median for gpu_id, rent in on_demand_rents().items()}
    return GpuData(
        cards=[
            {
                **{
                    name: _plain(value) for (name, _), value in zip(CARD_COLUMNS, rest, strict=True)
                },
                "cloud_usd_per_hour": _plain(cloud.get(gpu_id)),
                "mlperf": mlperf.get(gpu_id, []),
            }
            for gpu_id, *rest in rows
        ]
    )


def documentation_url() -> str:
    return f"{settings.SITE_URL}{reverse('metrics:data-index')}"


def data_meta(*, as_of: datetime | None) -> dict:
    """What every JSON data document starts with."""
    return {
        "version": DATA_VERSION,
        "as_of": as_of.isoformat() if as_of else None,
        "licence": LICENCE,
        "documentation": documentation_url(),
    }


def with_data_headers(response: HttpResponse, *, as_of: datetime | None) -> HttpResponse:
    """The licence and the documentation as `Link` relations (RFC 8288), and the version and
    as-of time, on any data response: a CSV carries them here, outside its rows."""
    response["Link"] = (
        f'<{LICENCE["url"]}>; rel="license", <{documentation_url()}>; rel="describedby"'
    )
    response["Data-Version"] = str(DATA_VERSION)
    if as_of:
        response["Data-As-Of"] = as_of.isoformat()
        response["Last-Modified"] = http_date(as_of.timestamp())
    return response


def data_json(body: dict, *, as_of: datetime | None, indent: int | None = None) -> JsonResponse:
    """A JSON data document: the shared fields, then `body`, with the data headers."""
    response = JsonResponse(
        {**data_meta(as_of=as_of), **body},
        json_dumps_params={"ensure_ascii": False, "indent": indent},
    )
    return with_data_headers(response, as_of=as_of)


def data_csv(text: str, *, as_of: datetime | None, filename: str) -> HttpResponse:
    """A CSV data document: plain rows under one header row, its metadata in the headers."""
    response = HttpResponse(text, content_type="text/csv; charset=utf-8; header=present")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return with_data_headers(response, as_of=as_of)


@require_safe
@cached_page()
def gpus_json(request):
    data = gpu_data()
    body = {
        "attribution": ATTRIBUTION,
        "basis": BASIS,
        "columns": list(COLUMNS),
        "gpus": data.cards,
    }
    return data_json(body, as_of=data_as_of(), indent=1)


@require_safe
@cached_page()
def gpus_csv(request):
    data = gpu_data()
    out = io.StringIO()
    # CRLF rows (RFC 4180): the csv module then quotes any cell holding a CR or LF.
    writer = csv.writer(out)
    write_csv_row(writer, COLUMNS)
    for card in data.cards:
        write_csv_row(
            writer,
            [
                *("" if card[name] is None else card[name] for name in COLUMNS[:-1]),
                json.dumps(card["mlperf"], ensure_ascii=False),
            ],
        )
    return data_csv(out.getvalue(), as_of=data_as_of(), filename="gpus.csv")


LISTINGS_BASIS = (
    "as_of: when the card's listings were last checked on eBay (its latest successful refresh), "
    "null when never. "
    "landed_price_usd: price per card, item price plus stated shipping divided by the cards in "
    "the lot (units). in_going_rate: whether the card's going rate counts the listing; auctions "
    "(a current bid), engineering samples and sellers with a feedback score under 10 or under "
    "95% positive are listed but not counted, and one seller's several listings of the card "
    "count once, at their median. from_usd: the cheapest listing the going rate counts."
)


@require_safe
@cached_page()
def gpu_listings_json(request, slug):
    """One card's listings as the shop page lists them, with its going rates; 404 for a slug
    that is no card."""
    gpu = Gpu.objects.filter(slug=slug).only("id", "slug", "form_factor").first()
    if gpu is None:
        return JsonResponse({"error": f"Unknown card: {slug}"}, status=404)
    rates = read_going_rates(gpu_id=gpu.pk)
    listings = listing_records(gpu=gpu)
    counted = [row["landed_price_usd"] for row in listings if row["in_going_rate"]]
    checked = last_checked_at(gpu=gpu)
    body = {
        "slug": gpu.slug,
        "going_rate_used_usd": _plain(rates.used),
        "going_rate_new_usd": _plain(rates.new),
        "listing_count": len(listings),
        "from_usd": min(counted, default=None),
        "listings": listings,
        "note": "A laptop GPU, sold only inside laptops: no card listings."
        if gpu.is_laptop
        else None,
        "attribution": ATTRIBUTION,
        "basis": LISTINGS_BASIS,
    }
    return data_json(body, as_of=checked, indent=1)


@require_safe
@cached_page()
def data_index(request):
    """The data README: every open data document, its fields, licence, version and as_of."""
    context = {
        "crumbs": [("Home", reverse("metrics:home")), ("Open data", request.path)],
        "data_version": DATA_VERSION,
        "licence": LICENCE,
        "columns": COLUMNS,
        "basis": BASIS,
        "default_quant": DEFAULT_QUANT,
        "default_context": DEFAULT_CONTEXT,
        "tasks": finder_tasks(),
    }
    return render(request, "metrics/data_index.html", context)
