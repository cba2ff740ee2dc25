"""Admin for purchases, returns and member scores: read-only views for staff.

Purchases are written only through members.services.purchases (tills, web shops and imports
via the API); the admin shows them with their lines and returns. Scores are recomputed for
everyone by members.tasks.member_scores_compute_task.
"""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from members.models import MemberScore, Purchase, PurchaseLine


class ReadOnlyAdminMixin:
    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


class PurchaseLineInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = PurchaseLine
    fields = ["product", "category", "quantity", "amount"]
    readonly_fields = fields
    extra = 0
    can_delete = False


class ReturnInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = Purchase
    fk_name = "original"
    verbose_name = _("return")
    verbose_name_plural = _("returns")
    fields = ["purchased_at", "amount", "store", "source", "external_id"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True


@admin.register(Purchase)
class PurchaseAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = [
        "purchased_at",
        "member",
        "amount",
        "currency",
        "channel",
        "store",
        "source",
        "external_id",
        "is_return_display",
    ]
    list_filter = [
        "channel",
        "store",
        "source",
        ("purchased_at", admin.DateFieldListFilter),
    ]
    search_fields = ["=member__number", "=external_id"]
    search_help_text = _("Membership number or external id (exact).")
    list_select_related = ["member", "store"]
    date_hierarchy = "purchased_at"
    list_per_page = 50
    show_full_result_count = False
    fields = [
        "member",
        "purchased_at",
        "amount",
        "currency",
        "channel",
        "store",
        "source",
        "external_id",
        "original",
        "created_at",
    ]
    readonly_fields = fields
    inlines = [PurchaseLineInline, ReturnInline]

    @admin.display(boolean=True, description=_("return"))
    def is_return_display(self, purchase: Purchase) -> bool:
        return purchase.is_return


class MemberScoreInline(ReadOnlyAdminMixin, admin.StackedInline):
    """The member's scores, read-only, on the member's admin page (for staff who may view
    scores: club admins and marketers)."""

    model = MemberScore
    fk_name = "member"
    can_delete = False
    extra = 0
    max_num = 0
    fieldsets = [
        (
            None,
            {
                "fields": [
                    ("recency_score", "frequency_score", "monetary_score"),
                    ("purchase_count", "purchase_count_12m"),
                    ("total_spend", "spend_12m", "average_order_value"),
                    ("clv_historic", "clv_predicted_12m"),
                    ("churn_risk", "preferred_channel"),
                    ("first_purchase_at", "last_purchase_at", "days_since_last_purchase"),
                    "computed_at",
                ]
            },
        )
    ]

    def get_readonly_fields(self, request: HttpRequest, obj=None):
        return [field.name for field in MemberScore._meta.fields if field.name != "member"]

    def has_view_permission(self, request: HttpRequest, obj=None) -> bool:
        # Shown on the page, never part of a save: a POST of the member form carries no
        # formset for the scores (and a page re-shown with errors goes without them).
        return request.method in ("GET", "HEAD") and super().has_view_permission(request, obj)


@admin.register(MemberScore)
class MemberScoreAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = [
        "member",
        "recency_score",
        "frequency_score",
        "monetary_score",
        "purchase_count_12m",
        "spend_12m",
        "churn_risk",
        "clv_predicted_12m",
        "preferred_channel",
        "computed_at",
    ]
    list_filter = ["recency_score", "frequency_score", "monetary_score", "preferred_channel"]
    search_fields = ["=member__number"]
    search_help_text = _("Membership number (exact).")
    list_select_related = ["member"]
    list_per_page = 50
    show_full_result_count = False
    ordering = ["-clv_predicted_12m"]

    def get_readonly_fields(self, request: HttpRequest, obj=None):
        return [field.name for field in MemberScore._meta.fields]
