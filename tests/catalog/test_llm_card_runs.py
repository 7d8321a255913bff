"""A card's "runs these models" table reads the stored calibration and only that card's own
measurements, and shows exactly what the whole catalogue, fitted on the spot, gives."""

import pytest

from catalog.llm_catalogue import load_card_catalogue, load_llm_catalogue, models_on
from catalog.models import Gpu, LlmCalibration, LlmMeasurement

# A card with measurements of its own (they stand in for its estimates), a Mac, and cards with
# none on ROCm and on CUDA.
CARDS = (
    "nvidia-geforce-rtx-3090",
    "apple-mac-studio-m2-ultra-60c-128gb",
    "amd-instinct-mi100",
    "nvidia-tesla-p40",
)


def _same_runs(gpu):
    fitted_here = load_llm_catalogue(stored=False)
    assert models_on(gpu) == models_on(gpu, catalogue=fitted_here)


@pytest.mark.django_db
def test_a_cards_runs_read_its_own_measurements_and_the_stored_calibration(
    loaded_catalog, django_assert_num_queries
):
    measured = Gpu.objects.get(slug=CARDS[0])
    # LLMs (with how many measurements there are), quantisations, the calibration, its own.
    with django_assert_num_queries(4):
        catalogue = load_card_catalogue(measured)
    own = LlmMeasurement.objects.filter(gpu=measured).count()
    assert own > 0 and len(catalogue.measurements) == own
    assert any(row.run.basis == "measured" for row in models_on(measured).rows)
    for slug in CARDS:
        _same_runs(Gpu.objects.get(slug=slug))


@pytest.mark.django_db
def test_without_a_stored_calibration_a_cards_runs_are_fitted_on_every_measurement(
    loaded_catalog,
):
    LlmCalibration.objects.all().delete()
    gpu = Gpu.objects.get(slug=CARDS[0])
    catalogue = load_card_catalogue(gpu)
    assert catalogue.stored_calibration is None
    assert len(catalogue.measurements) == LlmMeasurement.objects.count()
    _same_runs(gpu)


@pytest.mark.django_db
def test_without_any_measurement_a_cards_runs_take_the_typical_fit_in_two_queries(
    loaded_catalog, django_assert_num_queries
):
    LlmMeasurement.objects.all().delete()
    gpu = Gpu.objects.get(slug=CARDS[0])
    with django_assert_num_queries(2):  # LLMs with how many measurements there are, quantisations
        catalogue = load_card_catalogue(gpu)
    assert catalogue.measurements == [] and catalogue.stored_calibration is None
    assert all(fit.typical for fit in catalogue.calibration.fits)
    _same_runs(gpu)
