from django import forms
from django.contrib import admin
from django.db import models, transaction
from django.forms.models import model_to_dict

from catalog.build import summary
from catalog.models import (
    BenchmarkResult,
    CloudOffer,
    Gpu,
    LlmMeasurement,
    LlmModel,
    MlModel,
    Quantization,
    UseCase,
)
from catalog.signals import catalog_changed
from catalog.specs import SPEC_FIELDS

# What an MLPerf result is, in a card's inline and in the results list.
RESULT_FIELDS = ("model", "round", "samples_per_s", "tokens_per_s", "submitter", "system_name")


# The fields the generated summary sentence states ("... a datacenter PCIe card on the Ampere
# architecture with 24 GB of memory").
SUMMARY_FIELDS = ("label", "category", "form_factor", "architecture", "memory_gb")


def unix_newlines(data):
    """Form data with every CRLF or CR made LF: browsers post a textarea's lines with CRLF."""
    data = data.copy()
    for key, values in data.lists():
        data.setlist(
            key,
            [
                v.replace("\r\n", "\n").replace("\r", "\n") if isinstance(v, str) else v
                for v in values
            ],
        )
    return data


class TrackEditsForm(forms.ModelForm):
    """Remembers which fields an admin changed, so load_catalog never overwrites them silently.

    A field counts as changed when its stored value differs, not when the posted text differs from
    the page's: "24" for 24.0 or a note's CRLF line endings are no edit."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.is_bound:
            self.data = unix_newlines(self.data)
        self.values_before = model_to_dict(self.instance)

    @property
    def edited_fields(self) -> list[str]:
        """The fields whose value the form changes (valid forms only)."""
        before, after = self.values_before, model_to_dict(self.instance, fields=list(self.fields))
        return sorted(name for name, value in after.items() if value != before.get(name, value))

    def save(self, commit=True):
        edited = self.edited_fields
        if edited:
            self.instance.admin_edited_fields = sorted(
                {*self.instance.admin_edited_fields, *edited}
            )
        return super().save(commit)


class CatalogAdmin(admin.ModelAdmin):
    """Sends `catalog_changed` once the admin's change is committed."""

    form = TrackEditsForm
    readonly_fields = ["admin_edited_fields"]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    def get_changelist_form(self, request, **kwargs):
        return super().get_changelist_form(request, form=TrackEditsForm, **kwargs)

    def _announce(self, model, gpu_ids=None):
        transaction.on_commit(
            lambda: catalog_changed.send(sender=model, source="admin", gpu_ids=gpu_ids)
        )

    def changed_gpu_ids(self, obj) -> list[int] | None:
        """The cards a change to `obj` alters; None when it may alter any."""
        return None

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        self._announce(type(form.instance), self.changed_gpu_ids(form.instance))

    def delete_model(self, request, obj):
        gpu_ids = self.changed_gpu_ids(obj)
        super().delete_model(request, obj)
        self._announce(type(obj), gpu_ids)

    def delete_queryset(self, request, queryset):
        super().delete_queryset(request, queryset)
        self._announce(queryset.model)

    @admin.display(description="edited by an admin")
    def admin_edited_fields(self, obj):
        return ", ".join(obj.admin_edited_fields) or "-"


class BenchmarkResultInline(admin.TabularInline):
    model = BenchmarkResult
    form = TrackEditsForm
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    extra = 0
    fields = [*RESULT_FIELDS, "system_id", "source_url"]
    show_change_link = True


@admin.register(Gpu)
class GpuAdmin(CatalogAdmin):
    list_display = [
        "label",
        "manufacturer",
        "category",
        "form_factor",
        "architecture",
        "memory_gb",
        "memory_bandwidth_gbs",
        "fp32_tflops",
        "fp16_tflops",
        "int8_tops",
        "tdp_w",
        "ml_software",
        "typical_used_usd",
    ]
    list_filter = [
        "manufacturer",
        "category",
        "architecture",
        "form_factor",
        "cooling",
        "llama_cpp_backend",
        "ml_software",
    ]
    search_fields = ["label", "slug", "part_numbers", "aliases"]
    readonly_fields = ["admin_edited_fields", "updated_at"]
    prepopulated_fields = {"slug": ["label"]}
    inlines = [BenchmarkResultInline]
    fieldsets = [
        (None, {"fields": ["label", "slug", "manufacturer", "category", "form_factor"]}),
        ("Product", {"fields": ["architecture", "release_date", "msrp_usd", "summary"]}),
        (
            "Specs (dense; FP32 = shader FP32; FP16/FP8 = FP32 accumulate; blank = unknown)",
            {"fields": [*SPEC_FIELDS, "cuda_compute_capability", "supported_precisions"]},
        ),
        (
            "What it needs (vendor document in spec_notes' Needs line)",
            {"fields": ["cooling", "power_connectors", "devices"]},
        ),
        (
            "ML software",
            {"fields": ["ml_software", "ml_software_note", "llama_cpp_backend", "runs_llms_with"]},
        ),
        (
            "Typical prices (estimates for the screen and the demo)",
            {"fields": ["typical_used_usd", "typical_new_usd", "typical_price_source"]},
        ),
        ("Provenance", {"fields": ["spec_notes", "source_url", "source", "reference_urls"]}),
        (
            "Listing matching",
            {"fields": ["search_query", "aliases", "part_numbers", "ebay_category_ids"]},
        ),
        ("History", {"fields": ["admin_edited_fields", "updated_at"]}),
    ]

    def changed_gpu_ids(self, obj):
        return [obj.pk]  # a card's figures and its inline results alter its own pages alone

    def save_model(self, request, obj, form, change):
        # The summary states memory, form and architecture: it follows an edit of them unless an
        # admin wrote the summary themselves.
        stated = set(SUMMARY_FIELDS) & set(form.edited_fields)
        if stated and "summary" not in obj.admin_edited_fields:
            obj.summary = summary({"label": obj.label}, model_to_dict(obj))
        super().save_model(request, obj, form, change)


@admin.register(BenchmarkResult)
class BenchmarkResultAdmin(CatalogAdmin):
    list_display = ["gpu", *RESULT_FIELDS, "availability"]
    list_filter = ["round", "model", "gpu"]
    list_select_related = ["gpu", "model"]
    search_fields = ["gpu__label", "system_name", "system_id", "submitter"]
    autocomplete_fields = ["gpu"]


@admin.register(MlModel)
class MlModelAdmin(CatalogAdmin):
    list_display = ["name", "mlperf_id", "use_case", "parameters"]
    list_filter = ["use_case"]
    list_select_related = ["use_case"]
    search_fields = ["name", "mlperf_id"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(UseCase)
class UseCaseAdmin(CatalogAdmin):
    list_display = ["task", "area", "metric", "position", "is_headline"]
    list_editable = ["position", "is_headline"]
    search_fields = ["task", "area"]
    prepopulated_fields = {"slug": ["task"]}


@admin.register(LlmModel)
class LlmModelAdmin(CatalogAdmin):
    list_display = [
        "name",
        "family",
        "total_params_b",
        "active_params_b",
        "layers",
        "kv_heads",
        "head_dim",
        "max_context",
        "position",
    ]
    list_filter = ["family"]
    search_fields = ["name", "slug", "family"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Quantization)
class QuantizationAdmin(CatalogAdmin):
    list_display = ["name", "slug", "bits_per_weight", "position"]
    search_fields = ["name", "slug"]


@admin.register(LlmMeasurement)
class LlmMeasurementAdmin(CatalogAdmin):
    list_display = [
        "gpu",
        "model",
        "quant",
        "backend",
        "decode_tokens_per_s",
        "prefill_tokens_per_s",
        "published_on",
        "build",
    ]
    list_filter = ["model", "quant", "backend"]
    list_select_related = ["gpu", "model", "quant"]
    search_fields = ["gpu__label", "model__name", "backend", "source_url"]
    autocomplete_fields = ["gpu"]


@admin.register(CloudOffer)
class CloudOfferAdmin(CatalogAdmin):
    list_display = ["gpu", "provider", "kind", "usd_per_gpu_hour", "instance", "observed_on"]
    list_filter = ["kind", "provider", "gpu"]
    list_select_related = ["gpu"]
    search_fields = ["gpu__label", "gpu__slug", "provider", "instance"]
    autocomplete_fields = ["gpu"]
    date_hierarchy = "observed_on"

    def changed_gpu_ids(self, obj):
        return [obj.gpu_id]  # an offer alters its own card's rent figures alone
