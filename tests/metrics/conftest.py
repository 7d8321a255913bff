"""Factories for metrics tests: cards, listings, use cases and MLPerf results built with the ORM."""

import itertools
from decimal import Decimal

import pytest
from django.utils import timezone

from catalog.models import BenchmarkResult, Gpu, MlModel, UseCase
from listings.models import Listing

_ids = itertools.count(1)


@pytest.fixture
def make_gpu(db):
    def make(slug, **fields):
        defaults = {
            "label": slug.replace("-", " ").title(),
            "manufacturer": "NVIDIA",
            "category": "datacenter",
            "memory_gb": 24,
            "memory_bandwidth_gbs": 300,
            "fp32_tflops": 30,
            "fp16_tflops": 120,
            "int8_tops": 240,
            "tensor_cores": 240,
        }
        defaults.update(fields)
        return Gpu.objects.create(slug=slug, **defaults)

    return make


@pytest.fixture
def make_listing(db):
    def make(gpu, unit_price, *, condition_kind="used", **fields):
        now = timezone.now()
        n = next(_ids)
        price = Decimal(str(unit_price))
        values = {
            "item_id": f"v1|{n}|0",
            "gpu": gpu,
            "title": f"{gpu.label} listing {n}",
            "verdict": "keep",
            "unit_price": price,
            "price": price,
            "currency": "USD",
            "condition_kind": condition_kind,
            "first_seen_at": now,
            "last_seen_at": now,
        }
        values.update(fields)
        return Listing.objects.create(**values)

    return make


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
