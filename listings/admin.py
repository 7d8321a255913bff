"""Admin: audit the screen's verdicts, exclude listings by hand, review refresh runs."""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.db import transaction
from django.template.response import TemplateResponse

from listings.ingest import INGESTED_FIELDS, notify_listings_changed
from listings.models import ApiUsage, Listing, PriceHistory, RefreshRun

READ_ONLY_LISTING_FIELDS = (
    "marketplace",
    "item_id",
    *(f.removesuffix("_id") if f == "gpu_id" else f for f in INGESTED_FIELDS),
    "first_seen_at",
    "last_seen_at",
    "is_active",
    "archived_at",
)


class PriceHistoryInline(admin.TabularInline):
    model = PriceHistory
    extra = 0
    can_delete = False
    fields = ("observed_at", "price", "currency", "shipping_cost", "quantity", "unit_price")
    readonly_fields = fields
    ordering = ("-observed_at",)

    def has_add_permission(self, request, obj=None):
        return False


class ExclusionForm(forms.Form):
    reason = forms.CharField(
        max_length=300, help_text="Why these listings must not be shown; kept across refreshes."
    )


@admin.register(Listing)
class ListingAdmin(admin.ModelAdmin):
    list_display = (
        "title",
        "gpu",
        "unit_price",
        "currency",
        "quantity",
        "condition_kind",
        "verdict",
        "reason",
        "is_active",
        "excluded_by_admin",
        "is_demo",
        "last_seen_at",
    )
    list_filter = (
        "verdict",
        "reason",
        "condition_kind",
        "engineering_sample",
        "low_feedback_seller",
        "is_active",
        "is_demo",
        "excluded_by_admin",
        ("gpu", admin.RelatedOnlyFieldListFilter),
    )
    search_fields = ("title", "item_id")
    list_select_related = ("gpu",)
    readonly_fields = READ_ONLY_LISTING_FIELDS
    fields = ("excluded_by_admin", "exclusion_reason", *READ_ONLY_LISTING_FIELDS)
    inlines = [PriceHistoryInline]
    actions = ["exclude_by_hand", "include_again"]
    date_hierarchy = "last_seen_at"
    show_full_result_count = False

    def has_add_permission(self, request):
        return False  # listings come from eBay, never typed in

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        notify_listings_changed(gpu_ids=[obj.gpu_id], source="admin")

    def delete_model(self, request, obj):
        gpu_id = obj.gpu_id
        super().delete_model(request, obj)
        notify_listings_changed(gpu_ids=[gpu_id], source="admin")

    def delete_queryset(self, request, queryset):
        gpu_ids = set(queryset.values_list("gpu_id", flat=True))
        super().delete_queryset(request, queryset)
        notify_listings_changed(gpu_ids=gpu_ids, source="admin")

    @admin.action(description="Exclude by hand (with a reason)")
    def exclude_by_hand(self, request, queryset):
        form = ExclusionForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            with transaction.atomic():
                gpu_ids = set(queryset.values_list("gpu_id", flat=True))
                count = queryset.update(
                    excluded_by_admin=True, exclusion_reason=form.cleaned_data["reason"]
                )
                notify_listings_changed(gpu_ids=gpu_ids, source="admin")
            self.message_user(request, f"{count} listings excluded.", messages.SUCCESS)
            return None
        return TemplateResponse(
            request,
            "admin/listings/listing/exclude.html",
            {
                **self.admin_site.each_context(request),
                "title": "Exclude listings by hand",
                "opts": self.model._meta,
                "listings": queryset,
                "form": form,
                "action_checkbox_name": ACTION_CHECKBOX_NAME,
            },
        )

    @admin.action(description="Include again")
    def include_again(self, request, queryset):
        with transaction.atomic():
            gpu_ids = set(queryset.values_list("gpu_id", flat=True))
            count = queryset.update(excluded_by_admin=False, exclusion_reason="")
            notify_listings_changed(gpu_ids=gpu_ids, source="admin")
        self.message_user(request, f"{count} listings included again.", messages.SUCCESS)


@admin.register(RefreshRun)
class RefreshRunAdmin(admin.ModelAdmin):
    list_display = (
        "started_at",
        "gpu",
        "source",
        "status",
        "seen",
        "created",
        "updated",
        "archived",
        "rejected",
        "api_calls",
        "finished_at",
    )
    list_filter = ("status", "source")
    search_fields = ("gpu__slug", "run_id", "error")
    list_select_related = ("gpu",)
    date_hierarchy = "started_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ApiUsage)
class ApiUsageAdmin(admin.ModelAdmin):
    list_display = ("day", "calls")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
