"""Load the catalog fixtures (fixtures/*.json) into the database without losing an admin's edits.

Default: create missing rows and fill fields that are blank in the database; a field an admin has
changed (recorded in `admin_edited_fields`) is never touched. `overwrite=True` makes every row match
the fixtures again and forgets the admin edits. Rows that exist only in the database are left alone.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone

from catalog import models as catalog
from catalog.llm_catalogue import record_llm_figures
from catalog.models import RESERVED_SLUGS, WEB_URL, validate_web_urls
from catalog.signals import catalog_changed

FIXTURE_FILES = {
    "use cases": "use_cases.json",
    "models": "ml_models.json",
    "cards": "gpus.json",
    "results": "benchmark_results.json",
}
# The local-LLM catalogue; optional, so a fixtures folder without it still loads.
LLM_FIXTURE_FILES = {
    "quantizations": "llm_quantizations.json",
    "LLMs": "llm_models.json",
    "LLM measurements": "llm_measurements.json",
}
# Cited cloud rental prices; optional, like the LLM files.
OFFER_FIXTURE_FILES = {"cloud offers": "cloud_offers.json"}
FIXTURE_MODELS = {
    "use cases": catalog.UseCase,
    "models": catalog.MlModel,
    "cards": catalog.Gpu,
    "results": catalog.BenchmarkResult,
    "quantizations": catalog.Quantization,
    "LLMs": catalog.LlmModel,
    "LLM measurements": catalog.LlmMeasurement,
    "cloud offers": catalog.CloudOffer,
}
BLANK_VALUES = (None, "", [], {})


class FixtureError(ValueError):
    """A fixture row the catalog must not hold; nothing is loaded."""


@dataclass
class LoadCounts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0


@dataclass
class LoadReport:
    counts: dict[str, LoadCounts] = field(default_factory=dict)
    dry_run: bool = False

    @property
    def changed(self) -> bool:
        return any(c.created or c.updated for c in self.counts.values())


def default_fixtures_dir() -> Path:
    return Path(settings.BASE_DIR) / "fixtures"


def read_fixtures(fixtures_dir: Path) -> dict[str, list[dict]]:
    """The fixture files as lists of records (the optional ones when present)."""
    data = {}
    for name, filename in FIXTURE_FILES.items():
        with open(fixtures_dir / filename, encoding="utf-8") as handle:
            data[name] = json.load(handle)
    for name, filename in {**LLM_FIXTURE_FILES, **OFFER_FIXTURE_FILES}.items():
        path = fixtures_dir / filename
        if path.is_file():
            with open(path, encoding="utf-8") as handle:
                data[name] = json.load(handle)
    return data


def check_links(data: dict[str, list[dict]]) -> None:
    """Raise FixtureError naming the file, row and field of the first URL that is not http(s)."""
    files = {**FIXTURE_FILES, **LLM_FIXTURE_FILES, **OFFER_FIXTURE_FILES}
    for name, records in data.items():
        fields = [
            f
            for f in FIXTURE_MODELS[name]._meta.concrete_fields
            if WEB_URL in f.validators or validate_web_urls in f.validators
        ]
        for row, record in enumerate(records, start=1):
            for field_ in fields:
                value = record.get(field_.name)
                if value in BLANK_VALUES:
                    continue
                try:
                    field_.run_validators(value)
                except ValidationError as exc:
                    raise FixtureError(
                        f"{files[name]} row {row}, field {field_.name}: {' '.join(exc.messages)} "
                        f"(got {value!r}); nothing was loaded."
                    ) from None


def check_slugs(cards: list[dict]) -> None:
    """Raise FixtureError for a card whose slug is another page's address."""
    for row, card in enumerate(cards, start=1):
        if card.get("slug") in RESERVED_SLUGS:
            raise FixtureError(
                f"{FIXTURE_FILES['cards']} row {row}: slug {card['slug']!r} is "
                f"{RESERVED_SLUGS[card['slug']]}; nothing was loaded."
            )


def load_catalog(
    *, fixtures_dir: Path | None = None, overwrite: bool = False, dry_run: bool = False
) -> LoadReport:
    """Create and update catalog rows from the fixtures; `catalog_changed` if anything changed."""
    data = read_fixtures(fixtures_dir or default_fixtures_dir())
    check_links(data)
    check_slugs(data["cards"])
    report = LoadReport(dry_run=dry_run)
    with transaction.atomic():
        report.counts["use cases"] = _sync(catalog.UseCase, data["use cases"], ("slug",), overwrite)
        use_case_ids = dict(catalog.UseCase.objects.values_list("slug", "id"))
        models_ = [_with_fk(r, "use_case", use_case_ids) for r in data["models"]]
        report.counts["models"] = _sync(catalog.MlModel, models_, ("mlperf_id",), overwrite)
        report.counts["cards"] = _sync(catalog.Gpu, data["cards"], ("slug",), overwrite)

        gpu_ids = dict(catalog.Gpu.objects.values_list("slug", "id"))
        model_ids = dict(catalog.MlModel.objects.values_list("mlperf_id", "id"))
        results = [
            _with_fk(_with_fk(r, "gpu", gpu_ids), "model", model_ids) for r in data["results"]
        ]
        key = ("gpu_id", "model_id", "round", "scenario", "submitter", "system_id")
        report.counts["results"] = _sync(catalog.BenchmarkResult, results, key, overwrite)
        _sync_llms(data, report, gpu_ids, overwrite)
        if "cloud offers" in data:
            offers = [_with_fk(r, "gpu", gpu_ids) for r in data["cloud offers"]]
            key = ("gpu_id", "provider", "kind", "instance")
            report.counts["cloud offers"] = _sync(catalog.CloudOffer, offers, key, overwrite)
        if dry_run:
            transaction.set_rollback(True)
    if report.changed and not dry_run:
        catalog_changed.send(sender=catalog.Gpu, source="load_catalog")
    elif not dry_run:
        # The rows are as they were, but the calibration families (a fixture no row holds)
        # may have changed: the stored LLM figures are rerun on every load.
        record_llm_figures()
    return report


def _sync_llms(data: dict, report: LoadReport, gpu_ids: dict, overwrite: bool) -> None:
    """The local-LLM catalogue: quantisations, models, then measurements that name both."""
    if "LLMs" not in data:
        return
    quant_ids, llm_ids = {}, {}
    report.counts["quantizations"] = _sync(
        catalog.Quantization, data.get("quantizations", []), ("slug",), overwrite, ids=quant_ids
    )
    report.counts["LLMs"] = _sync(catalog.LlmModel, data["LLMs"], ("slug",), overwrite, ids=llm_ids)
    measurements = [
        _with_fk(_with_fk(_with_fk(r, "gpu", gpu_ids), "model", llm_ids), "quant", quant_ids)
        for r in data.get("LLM measurements", [])
    ]
    key = ("gpu_id", "model_id", "quant_id", "backend", "source_url")
    report.counts["LLM measurements"] = _sync(catalog.LlmMeasurement, measurements, key, overwrite)


def _with_fk(record: dict, name: str, ids: dict) -> dict:
    """The record with its natural-key reference (`"use_case": "speech-to-text"`) as an id."""
    record = dict(record)
    ref = record.pop(name)
    record[f"{name}_id"] = ids[ref] if ref is not None else None
    return record


def _sync(
    model: type[models.Model],
    records: list[dict],
    key: tuple[str, ...],
    overwrite: bool,
    ids: dict | None = None,
) -> LoadCounts:
    """Bulk-create missing rows and bulk-update the fields the rules allow; one query per step.

    `ids`, when given, is filled with every row's id by its one-field key (no extra query)."""
    counts = LoadCounts()
    existing = {tuple(getattr(obj, k) for k in key): obj for obj in model.objects.all()}
    to_create, to_update, updated_fields = [], [], set()
    for raw in records:
        record = {name: _to_python(model, name, value) for name, value in raw.items()}
        obj = existing.get(tuple(record[k] for k in key))
        if obj is None:
            to_create.append(model(**record))
            continue
        changed = _apply(obj, record, overwrite)
        if changed:
            to_update.append(obj)
            updated_fields |= changed
        else:
            counts.unchanged += 1
    if to_create:
        model.objects.bulk_create(to_create)
    if ids is not None:
        for obj in [*existing.values(), *to_create]:
            ids[getattr(obj, key[0])] = obj.pk
    if to_update:
        if any(f.name == "updated_at" for f in model._meta.fields):
            now = timezone.now()
            for obj in to_update:
                obj.updated_at = now
            updated_fields.add("updated_at")
        model.objects.bulk_update(to_update, sorted(updated_fields), batch_size=200)
    counts.created, counts.updated = len(to_create), len(to_update)
    return counts


def _apply(obj: models.Model, record: dict, overwrite: bool) -> set[str]:
    """Set the fields the rules allow on `obj`; return the names of those that changed."""
    changed = set()
    edited = set(obj.admin_edited_fields)
    for name, value in record.items():
        current = getattr(obj, name)
        if current == value:
            continue
        fillable = current in BLANK_VALUES and value not in BLANK_VALUES and name not in edited
        if overwrite or fillable:
            setattr(obj, name, value)
            changed.add(name)
    if overwrite and obj.admin_edited_fields:
        obj.admin_edited_fields = []
        changed.add("admin_edited_fields")
    return changed


def _to_python(model: type[models.Model], name: str, value):
    """A fixture value as the model field holds it (dates, decimals), so comparisons are exact."""
    field_ = {f.attname: f for f in model._meta.concrete_fields}[name]
    if field_.is_relation:
        return value
    return field_.to_python(value)
