"""The LLM backtest and the calibration with each family's expected error are run when the
catalogue changes and stored; pages read them and show the same figures a fit and a backtest run
on the spot give."""

from dataclasses import replace

import pytest
from django.forms.models import model_to_dict
from django.urls import reverse

from catalog.llm import calibrate
from catalog.llm_catalogue import load_llm_catalogue, read_calibration, record_llm_figures
from catalog.models import LlmBacktest, LlmCalibration, LlmFamilyFit, LlmMeasurement
from catalog.signals import catalog_changed


def _errors(report) -> dict[str, float | None]:
    return {fit.key: fit.expected_error_pct for fit in report.calibration.fits}


def _run_here(catalogue):
    return calibrate(catalogue.measurements, catalogue.families, catalogue.eras)


@pytest.mark.django_db
def test_loading_the_catalog_stores_the_backtest_pages_read(loaded_catalog):
    catalogue = load_llm_catalogue(backtests=True)
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
    catalogue = load_llm_catalogue(backtests=True)
    assert _errors(catalogue.report) == pytest.approx(_errors(_run_here(catalogue)))


@pytest.mark.django_db
def test_a_catalogue_with_nothing_stored_runs_the_backtest_itself(loaded_catalog):
    LlmBacktest.objects.all().delete()
    catalogue = load_llm_catalogue(backtests=True)
    assert catalogue.stored_backtests is None
    assert len(catalogue.report.backtests) == len(_run_here(catalogue).backtests) > 0


def _fresh():
    """The calibration fitted here, with a backtest run here, on the catalogue as it is now."""
    return load_llm_catalogue(stored=False).report.calibration


@pytest.mark.django_db
def test_loading_the_catalog_stores_the_calibration_pages_read(loaded_catalog):
    catalogue = load_llm_catalogue()
    assert catalogue.stored_calibration is not None
    assert catalogue.stored_backtests is None  # the pages that estimate do not read it
    assert LlmFamilyFit.objects.count() == len(catalogue.families)
    # Every figure as the fit gives it, to the last bit: the pages show identical numbers.
    assert catalogue.calibration == _fresh()
    assert catalogue.calibration.quant_factors and catalogue.calibration.earlier_factors
    with_backtest = load_llm_catalogue(backtests=True)
    assert with_backtest.report.calibration == catalogue.calibration
    assert len(with_backtest.report.backtests) == LlmBacktest.objects.count()


@pytest.mark.django_db
def test_an_admin_edit_of_a_measurement_rewrites_the_stored_calibration(
    staff_client, loaded_catalog, django_capture_on_commit_callbacks
):
    point = LlmMeasurement.objects.filter(
        gpu__slug="nvidia-geforce-rtx-3090", model__slug="llama-3.1-8b"
    ).first()
    family = LlmBacktest.objects.get(measurement=point).family_key
    before = LlmFamilyFit.objects.values("efficiency", "layer_overhead_us").get(family_key=family)
    data = {
        name: "" if value is None else value
        for name, value in model_to_dict(point).items()
        if name not in {"id", "admin_edited_fields"}
    }
    # Half the speed: the family's fit moves.
    data["decode_tokens_per_s"] = point.decode_tokens_per_s / 2
    url = reverse("admin:catalog_llmmeasurement_change", args=[point.pk])
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(url, data)
    assert response.status_code == 302
    catalogue = load_llm_catalogue()
    assert catalogue.stored_calibration is not None
    after = LlmFamilyFit.objects.values("efficiency", "layer_overhead_us").get(family_key=family)
    assert after["layer_overhead_us"] > before["layer_overhead_us"] + 1
    assert catalogue.calibration.fit(family).layer_overhead_us == after["layer_overhead_us"]
    assert catalogue.calibration == _fresh()


@pytest.mark.django_db
def test_a_catalogue_with_no_stored_calibration_fits_it_itself(loaded_catalog):
    LlmCalibration.objects.all().delete()
    catalogue = load_llm_catalogue()
    assert catalogue.stored_calibration is None
    assert catalogue.stored_backtests is not None  # it fits on the stored backtest
    assert catalogue.calibration == _fresh()
    LlmBacktest.objects.all().delete()
    assert load_llm_catalogue().calibration == _fresh()


def _fits(calibration) -> list[tuple[str, float, float]]:
    return [(f.key, f.efficiency, f.layer_overhead_us) for f in calibration.fits]


@pytest.mark.django_db
def test_a_calibration_stored_for_other_measurements_or_families_is_not_read(loaded_catalog):
    point = LlmMeasurement.objects.filter(model__slug="llama-3.1-8b").first()
    # A measurement written without the catalog_changed signal (not through the admin or
    # load_catalog): the stored fit no longer covers every measurement.
    LlmMeasurement.objects.create(
        gpu=point.gpu,
        model=point.model,
        quant=point.quant,
        backend=point.backend,
        context=point.context,
        decode_tokens_per_s=point.decode_tokens_per_s / 3,
        source_url="https://example.com/another-run",
        published_on=point.published_on,
    )
    catalogue = load_llm_catalogue()
    assert catalogue.stored_calibration is None
    # Fitted here on every measurement, the new one too (its expected errors from the stored
    # backtest, which has no row for it).
    assert _fits(catalogue.calibration) == _fits(_fresh())
    record_llm_figures()
    other = replace(read_calibration(), sha256="0" * 64)  # a changed fixture, not yet rerun
    assert load_llm_catalogue().stored_calibration is not None
    assert load_llm_catalogue(fixture=other).stored_calibration is None
