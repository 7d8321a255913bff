"""Metrics test fixtures: tests/factories.py with round figures, use cases and MLPerf results."""

import itertools
from functools import partial

import pytest
from django.utils import timezone

from catalog.models import BenchmarkResult, MlModel, UseCase
from tests import factories

_ids = itertools.count(1)


# Round figures, so a test's expected $/spec reads at a glance ($2,400 / 120 FP16 TFLOPS = $20).
ROUND_SPECS = {
    "category": "datacenter",
    "memory_gb": 24,
    "memory_bandwidth_gbs": 300,
    "fp32_tflops": 30,
    "fp16_tflops": 120,
    "int8_tops": 240,
    "tensor_cores": 240,
    "l2_cache_mb": 40,
    "shared_memory_per_sm_kb": 100,
}


@pytest.fixture
def make_gpu(db):
    """factories.make_gpu with round figures: make_gpu("card-a", fp16_tflops=100)."""
    return partial(factories.make_gpu, **ROUND_SPECS)


def listing_seen_now(gpu, unit_price, *, condition_kind="used", **fields):
    """factories.make_listing first seen now: listing_seen_now(gpu, 2400, condition_kind="new")."""
    now = timezone.now()
    return factories.make_listing(
        gpu,
        price=unit_price,
        condition_kind=condition_kind,
        **{"first_seen_at": now, "last_seen_at": now, **fields},
    )


@pytest.fixture
def make_listing(db):
    """`listing_seen_now` for a test: make_listing(gpu, 2400, condition_kind="new")."""
    return listing_seen_now


@pytest.fixture
def use_case(db):
    return UseCase.objects.create(
        slug="image-classification",
        area="Vision",
        task="Image classification",
        is_headline=True,
        summary="Label what a photo shows.",
    )


@pytest.fixture
def resnet(use_case):
    return MlModel.objects.create(
        slug="resnet50", name="ResNet50-v1.5", mlperf_id="resnet50", use_case=use_case
    )


@pytest.fixture
def make_result(db):
    def make(gpu, model, samples, *, round="MLPerf Inference v3.1", system_id="", **fields):
        return BenchmarkResult.objects.create(
            gpu=gpu,
            model=model,
            round=round,
            samples_per_s=samples,
            system_id=system_id or f"{gpu.slug}-{round}-{samples}",
            source_url=f"https://github.com/mlcommons/results/{gpu.slug}/{round.split()[-1]}/log.txt",
            **fields,
        )

    return make


@pytest.fixture
def falling_used_prices(db):
    """Past daily used headline prices falling `monthly` a month to `today_price` on the day
    before today: falling_used_prices(gpu, today_price=2000, monthly=0.02, days=180)."""
    from datetime import timedelta
    from decimal import Decimal

    from metrics.models import DailyPrice

    def make(gpu, *, today_price: float, monthly: float, days: int = 180):
        today = timezone.localdate()
        DailyPrice.objects.bulk_create(
            DailyPrice(
                gpu=gpu,
                scope="used",
                day=today - timedelta(days=n),
                headline_price=Decimal(today_price / (1 - monthly) ** (n / (365.25 / 12))).quantize(
                    Decimal("0.01")
                ),
                lowest_price=Decimal(1),
                listing_count=5,
                computed_at=timezone.now(),
            )
            for n in range(1, days + 1)
        )

    return make
