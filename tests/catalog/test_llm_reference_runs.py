"""Each card's run of the reference LLM is stored whenever the catalogue changes, with the speed
and basis a run made on the spot gives; pages showing one LLM figure per card read it."""

import pytest

from catalog.llm import DEFAULT_CONTEXT, REFERENCE_MODEL, REFERENCE_QUANT
from catalog.llm_catalogue import card_spec, load_llm_catalogue
from catalog.models import Gpu, LlmMeasurement, LlmReferenceRun
from catalog.signals import catalog_changed

pytestmark = pytest.mark.django_db


def _runs_here() -> dict[str, tuple[int, float, str]]:
    catalogue = load_llm_catalogue()
    model, quant = catalogue.model(REFERENCE_MODEL), catalogue.quant(REFERENCE_QUANT)
    runs = {}
    for gpu in Gpu.objects.all():
        run = catalogue.run(model=model, quant=quant, context=DEFAULT_CONTEXT, card=card_spec(gpu))
        if run.cards_needed is not None and run.decode_tokens_per_s is not None:
            note = f"{run.basis_label} {run.error_label}".strip()
            runs[gpu.slug] = (run.cards_needed, round(run.decode_tokens_per_s, 6), note)
    return runs


def _stored() -> dict[str, tuple[int, float, str]]:
    rows = LlmReferenceRun.objects.values_list(
        "gpu__slug", "cards_needed", "decode_tokens_per_s", "basis_note"
    )
    return {slug: (cards, round(speed, 6), note) for slug, cards, speed, note in rows}


def test_loading_the_catalog_stores_every_cards_reference_run(loaded_catalog):
    stored = _stored()

    assert stored == _runs_here()
    assert stored["nvidia-geforce-rtx-3090"][2].startswith("measured at ")
    assert stored["nvidia-geforce-rtx-3060"][2].startswith("estimate ±")
    assert "nvidia-h100-sxm" in stored  # a server module runs it too: pages choose what to show


def test_a_changed_measurement_reruns_the_stored_reference_run(loaded_catalog):
    point = LlmMeasurement.objects.filter(
        gpu__slug="nvidia-geforce-rtx-3090", model__slug=REFERENCE_MODEL, quant__slug="q4_k_m"
    ).first()
    before = _stored()["nvidia-geforce-rtx-3090"][1]
    LlmMeasurement.objects.filter(pk=point.pk).update(
        decode_tokens_per_s=point.decode_tokens_per_s / 2
    )
    catalog_changed.send(sender=LlmMeasurement, source="admin")  # as an admin edit sends it

    assert _stored()["nvidia-geforce-rtx-3090"][1] < before * 0.6  # about half
    assert _stored() == _runs_here()
