"""The LLM backtest is run when the catalogue changes and stored; pages read it and show the same
expected errors a backtest run on the spot gives."""

import pytest

from catalog.llm import calibrate
from catalog.llm_catalogue import load_llm_catalogue
from catalog.models import LlmBacktest, LlmMeasurement
from catalog.signals import catalog_changed


def _errors(report) -> dict[str, float | None]:
    return {fit.key: fit.expected_error_pct for fit in report.calibration.fits}


def _run_here(catalogue):
    return calibrate(catalogue.measurements, catalogue.families, catalogue.eras)


@pytest.mark.django_db
def test_loading_the_catalog_stores_the_backtest_pages_read(loaded_catalog):
    catalogue = load_llm_catalogue()
    assert catalogue.stored_backtests is not None
    assert LlmBacktest.objects.count() == len(catalogue.measurements)
    fresh = _run_here(catalogue)
    assert _errors(catalogue.report) == pytest.approx(_errors(fresh))
    assert catalogue.report.overall == fresh.overall
    assert catalogue.report.calibration.overall_error_pct == pytest.approx(
        fresh.calibration.overall_error_pct
    )


@pytest.mark.django_db
def test_a_changed_measurement_reruns_the_stored_backtest(loaded_catalog):
    point = LlmMeasurement.objects.filter(
        gpu__slug="nvidia-geforce-rtx-3090", model__slug="llama-3.1-8b"
    ).first()
    before = LlmBacktest.objects.get(measurement=point).error_pct
    # Half the speed: the estimate made without it is now about twice the measurement.
    LlmMeasurement.objects.filter(pk=point.pk).update(
        decode_tokens_per_s=point.decode_tokens_per_s / 2
    )
    catalog_changed.send(sender=LlmMeasurement, source="admin")  # as an admin edit sends it
    after = LlmBacktest.objects.get(measurement=point).error_pct
    assert after > before + 50
    catalogue = load_llm_catalogue()
    assert _errors(catalogue.report) == pytest.approx(_errors(_run_here(catalogue)))


@pytest.mark.django_db
def test_a_catalogue_with_nothing_stored_runs_the_backtest_itself(loaded_catalog):
    LlmBacktest.objects.all().delete()
    catalogue = load_llm_catalogue()
    assert catalogue.stored_backtests is None
    assert len(catalogue.report.backtests) == len(_run_here(catalogue).backtests) > 0
