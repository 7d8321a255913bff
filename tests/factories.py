"""Cards, listings and refresh runs made straight in the database: the one set of factories."""

from datetime import timedelta
from decimal import Decimal
from itertools import count

from django.utils import timezone

from catalog.models import Gpu
from listings.models import ConditionKind, Listing, RefreshRun, RefreshStatus, Verdict

_item_ids = count(1)


# The default card: an NVIDIA RTX A6000 with its datasheet figures.
A6000 = {
    "label": "NVIDIA RTX A6000",
    "manufacturer": "NVIDIA",
    "category": "workstation",
    "memory_gb": 48,
    "memory_bandwidth_gbs": 768,
    "fp32_tflops": 38.7,
    "fp16_tflops": 154.8,
    "int8_tops": 309.7,
    "tensor_cores": 336,
    "llama_cpp_backend": "cuda",
}


def make_gpu(slug: str = "nvidia-rtx-a6000", **fields) -> Gpu:
    """A card; another slug than the default is labelled after itself ("Card A" for card-a)."""
    values = {**A6000, "label": A6000["label"] if slug == "nvidia-rtx-a6000" else _label(slug)}
    values.update(fields)
    return Gpu.objects.create(slug=slug, **values)


def _label(slug: str) -> str:
    return slug.replace("-", " ").title()


def make_listing(gpu: Gpu, price="4000.00", **fields) -> Listing:
    n = next(_item_ids)
    now = timezone.now()
    price = Decimal(str(price))
    quantity = fields.pop("quantity", 1)
    values = {
        "item_id": f"v1|{110000000000 + n}|0",
        "gpu": gpu,
        "title": f"{gpu.label} {gpu.memory_gb:g}GB graphics card #{n}",
        "price": price,
        "currency": "USD",
        "shipping_cost": Decimal("0"),
        "shipping_known": True,
        "condition": "Used",
        "condition_kind": ConditionKind.USED,
        "is_buy_now": True,
        "quantity": quantity,
        "unit_price": (price / quantity).quantize(Decimal("0.01")),
        "seller_feedback_percent": 99.5,
        "seller_feedback_score": 1200,
        "item_location_country": "US",
        "item_web_url": f"https://www.ebay.com/itm/{110000000000 + n}",
        "affiliate_url": f"https://www.ebay.com/itm/{110000000000 + n}?campid=5338000000",
        "verdict": Verdict.KEEP,
        "first_seen_at": now - timedelta(hours=n),
        "last_seen_at": now,
    }
    values.update(fields)
    return Listing.objects.create(**values)


def make_refresh(gpu: Gpu | None, *, minutes_ago=5, status=RefreshStatus.OK) -> RefreshRun:
    finished = timezone.now() - timedelta(minutes=minutes_ago)
    return RefreshRun.objects.create(
        run_id=f"run-{next(_item_ids)}",
        gpu=gpu,
        started_at=finished - timedelta(minutes=1),
        finished_at=finished,
        status=status,
    )


def make_shop(*, listings=30) -> Gpu:
    """One card with a spread of listings: conditions, auctions, a lot, two countries."""
    gpu = make_gpu()
    conditions = [ConditionKind.USED, ConditionKind.NEW, ConditionKind.REFURBISHED]
    for i in range(listings):
        auction = i % 5 == 4
        make_listing(
            gpu,
            price=3000 + 97 * i,
            condition_kind=conditions[i % 3],
            condition=conditions[i % 3].label,
            is_auction=auction,
            is_buy_now=not auction,
            bid_count=i if auction else None,
            auction_ends_at=timezone.now() + timedelta(hours=5 + i) if auction else None,
            item_location_country="US" if i % 4 else "DE",
            seller_feedback_percent=95 + (i % 6),
        )
    make_listing(gpu, price="13600.00", quantity=4, title=f"Lot of 4 {gpu.label} 48GB")
    make_refresh(gpu, minutes_ago=12)
    return gpu


def make_month(gpu: Gpu, month, scope: str, price, *, days: int = 30, listings: int = 5):
    """A stored monthly going rate (metrics.MonthlyPrice), its lowest listing $20 under it."""
    from metrics.models import MonthlyPrice

    price = Decimal(str(price))
    return MonthlyPrice.objects.create(
        gpu=gpu,
        scope=scope,
        month=month,
        headline_price=price,
        lowest_price=price - 20,
        days=days,
        listing_count=listings,
        computed_at=timezone.now(),
    )
