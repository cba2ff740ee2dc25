"""Admin for rewards: the catalogue, tiers and earning rules are edited here; the ledger and
the tier history are read-only (they change only through rewards.services); redemptions are
cancelled through the service, and staff adjust points with a reason (audited)."""

from __future__ import annotations

import uuid

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from members.models import Member
from rewards.admin.reports import PointsReportsMixin
from rewards.models import (
    EarningRule,
    PointsAccount,
    PointsEntry,
    PointsLot,
    Redemption,
    Reward,
    Tier,
    TierChange,
)
from rewards.services.ledger import points_adjust
from rewards.services.redemptions import redemption_cancel, redemption_fulfil


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows written only by services: staff look, never add, change or delete."""

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(Tier)
class TierAdmin(admin.ModelAdmin):
    list_display = ["order", "name_sv", "name_en", "threshold", "multiplier"]
    list_display_links = ["name_sv"]
    ordering = ["order"]

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        if obj is not None and PointsAccount.objects.filter(tier=obj).exists():
            return False
        return super().has_delete_permission(request, obj)


@admin.register(EarningRule)
class EarningRuleAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "channel",
        "store",
        "points_per_sek",
        "valid_from",
        "valid_until",
        "is_active",
    ]
    list_filter = ["is_active", "channel", "store"]
    autocomplete_fields: list[str] = []


@admin.register(Reward)
class RewardAdmin(admin.ModelAdmin):
    list_display = [
        "name_sv",
        "kind",
        "points_cost",
        "stock",
        "per_member_limit",
        "valid_from",
        "valid_until",
        "is_active",
    ]
    list_filter = ["kind", "is_active", "tiers"]
    search_fields = ["name_sv", "name_en"]
    filter_horizontal = ["tiers"]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "kind",
                    "name_sv",
                    "name_en",
                    "description_sv",
                    "description_en",
                    "picture",
                    "order",
                    "is_active",
                ]
            },
        ),
        (
            _("Cost and availability"),
            {"fields": ["points_cost", "stock", "per_member_limit", "valid_from", "valid_until"]},
        ),
        (_("Who sees it"), {"fields": ["tiers", "segment"]}),
        (_("Voucher"), {"fields": ["voucher_value", "voucher_percent", "voucher_valid_days"]}),
    ]

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        if obj is not None and obj.redemptions.exists():
            return False  # deactivate it instead: redemptions keep pointing to it
        return super().has_delete_permission(request, obj)


@admin.register(PointsEntry)
class PointsEntryAdmin(ReadOnlyAdmin):
    list_display = [
        "created_at",
        "member",
        "kind",
        "amount",
        "debt_change",
        "reason_display",
        "actor",
    ]
    list_filter = ["kind", "created_at", "cause_label"]
    search_fields = ["member__number", "member__email", "idempotency_key"]
    list_select_related = ["member", "actor"]
    date_hierarchy = "created_at"
    show_full_result_count = False
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "created_at",
                    "member",
                    "kind",
                    "amount",
                    "debt_change",
                    "qualifying",
                    "reason_display",
                    "cause_label",
                    "reverses",
                    "actor",
                ]
            },
        ),
        (
            _("Technical details"),
            {
                "classes": ["collapse"],
                "fields": ["idempotency_key", "cause_type", "cause_id", "reason", "reason_params"],
            },
        ),
    ]

    def get_readonly_fields(self, request: HttpRequest, obj=None):
        return [*(field.name for field in PointsEntry._meta.fields), "reason_display"]

    @admin.display(description=_("reason"))
    def reason_display(self, entry: PointsEntry) -> str:
        return entry.reason_display


@admin.register(PointsLot)
class PointsLotAdmin(ReadOnlyAdmin):
    list_display = ["member", "amount", "remaining", "earned_at", "expires_on"]
    list_filter = ["expires_on"]
    search_fields = ["member__number"]
    list_select_related = ["member"]


class AdjustForm(forms.Form):
    points = forms.IntegerField(
        label=_("Points"), help_text=_("Positive to add, negative to remove.")
    )
    reason = forms.CharField(label=_("Reason shown to the member"), max_length=255)
    key = forms.CharField(widget=forms.HiddenInput)


@admin.register(PointsAccount)
class PointsAccountAdmin(PointsReportsMixin, ReadOnlyAdmin):
    list_display = [
        "member",
        "balance",
        "debt",
        "tier",
        "tier_review_on",
        "tier_grace_until",
        "adjust_link",
    ]
    list_filter = ["tier"]
    search_fields = ["member__number", "member__email", "member__last_name"]
    list_select_related = ["member", "tier"]
    change_list_template = "admin/rewards/pointsaccount_change_list.html"

    @admin.display(description=_("adjust"))
    def adjust_link(self, account: PointsAccount) -> str:
        url = reverse("admin:rewards_pointsaccount_adjust", args=[account.pk])
        return format_html('<a href="{}">{}</a>', url, _("Adjust points"))

    def get_urls(self):
        return [
            path(
                "<path:object_id>/adjust/",
                self.admin_site.admin_view(self.adjust_view),
                name="rewards_pointsaccount_adjust",
            ),
            *super().get_urls(),
        ]

    def adjust_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        if not request.user.has_perm("rewards.adjust_points"):
            raise PermissionDenied
        account = self.get_object(request, object_id)
        # A member who never had points has no account yet: the first adjustment opens it.
        member = (
            Member.objects.not_erased().filter(pk=account.pk if account else object_id).first()
            if account is not None or str(object_id).isdigit()
            else None
        )
        if member is None:
            return redirect("admin:rewards_pointsaccount_changelist")
        back_to_360 = request.GET.get("next") == "360"
        form = AdjustForm(request.POST or None, initial={"key": uuid.uuid4().hex})
        if request.method == "POST" and form.is_valid():
            try:
                points_adjust(
                    member=member,
                    points=form.cleaned_data["points"],
                    reason=form.cleaned_data["reason"],
                    actor=request.user,
                    idempotency_key=f"admin:{form.cleaned_data['key']}",
                    request=request,
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                self.message_user(request, _("Points adjusted."), messages.SUCCESS)
                if back_to_360:
                    return redirect(reverse("admin:members_member_360", args=[member.pk]))
                return redirect(reverse("admin:rewards_pointsaccount_change", args=[member.pk]))
        context = {
            **self.admin_site.each_context(request),
            "title": _("Adjust points of %(member)s") % {"member": member},
            "form": form,
            "account": account,
            "balance": account.balance if account else 0,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/rewards/adjust_points.html", context)


@admin.register(TierChange)
class TierChangeAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "member", "from_tier", "to_tier", "reason", "points_12m"]
    list_filter = ["reason", "to_tier"]
    list_select_related = ["member", "from_tier", "to_tier"]


class RedemptionCancelForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for cancelling"),
        max_length=255,
        help_text=_("Kept with the redemption and in the audit log."),
    )


@admin.register(Redemption)
class RedemptionAdmin(admin.ModelAdmin):
    """A redemption's own page has its actions (fulfil, cancel with a reason) as buttons, each a
    POST through rewards.services.redemptions; internal fields sit under "Technical details"."""

    list_display = ["created_at", "voucher_code", "member", "reward", "points", "status"]
    list_filter = ["status", "reward__kind", "created_at"]
    search_fields = ["voucher_code", "member__number", "member__email"]
    list_select_related = ["member", "reward"]
    show_full_result_count = False
    actions = ["cancel_selected", "fulfil_selected"]
    readonly_fields = [field.name for field in Redemption._meta.fields]
    change_form_template = "admin/rewards/redemption/change_form.html"
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "member",
                    "reward",
                    "status",
                    "points",
                    "voucher_code",
                    "voucher_valid_until",
                    "created_at",
                ]
            },
        ),
        (
            _("Fulfilled or cancelled"),
            {
                "fields": [
                    "fulfilled_at",
                    "used_in_store",
                    "cancelled_at",
                    "cancelled_by",
                    "cancel_reason",
                ]
            },
        ),
        (
            _("Technical details"),
            {"classes": ["collapse"], "fields": ["idempotency_key", "entry"]},
        ),
    ]

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_cancel_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("rewards.cancel_redemption")

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path(
                "<int:object_id>/fulfil/",
                wrap(self.fulfil_view),
                name="rewards_redemption_fulfil",
            ),
            path(
                "<int:object_id>/cancel/",
                wrap(self.cancel_view),
                name="rewards_redemption_cancel",
            ),
            *super().get_urls(),
        ]

    def change_view(self, request: HttpRequest, object_id, form_url="", extra_context=None):
        redemption = self.get_object(request, object_id)
        pending = redemption is not None and redemption.status == Redemption.Status.PENDING
        extra_context = {
            **(extra_context or {}),
            "can_fulfil": pending and self.has_change_permission(request, redemption),
            "can_cancel": pending and self.has_cancel_permission(request),
        }
        return super().change_view(request, object_id, form_url, extra_context)

    def _redemption_or_back(self, request: HttpRequest, object_id: int):
        redemption = self.get_object(request, str(object_id))
        if redemption is None:
            raise PermissionDenied
        return redemption

    def fulfil_view(self, request: HttpRequest, object_id: int) -> HttpResponse:
        redemption = self._redemption_or_back(request, object_id)
        if not self.has_change_permission(request, redemption):
            raise PermissionDenied
        change_url = reverse("admin:rewards_redemption_change", args=[redemption.pk])
        if request.method != "POST":
            return redirect(change_url)
        try:
            redemption_fulfil(redemption=redemption, actor=request.user, request=request)
        except ValidationError as error:
            self.message_user(request, error.messages[0], messages.ERROR)
        else:
            self.message_user(request, _("The redemption is fulfilled."), messages.SUCCESS)
        return redirect(change_url)

    def cancel_view(self, request: HttpRequest, object_id: int) -> HttpResponse:
        redemption = self._redemption_or_back(request, object_id)
        if not self.has_cancel_permission(request):
            raise PermissionDenied
        change_url = reverse("admin:rewards_redemption_change", args=[redemption.pk])
        form = RedemptionCancelForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                redemption_cancel(
                    redemption=redemption,
                    actor=request.user,
                    request=request,
                    reason=form.cleaned_data["reason"],
                )
            except ValidationError as error:
                self.message_user(request, error.messages[0], messages.ERROR)
            else:
                self.message_user(
                    request,
                    _("The redemption is cancelled and %(points)d points are returned.")
                    % {"points": redemption.points},
                    messages.SUCCESS,
                )
            return redirect(change_url)
        context = {
            **self.admin_site.each_context(request),
            "title": _("Cancel redemption %(code)s") % {"code": redemption.voucher_code},
            "opts": self.model._meta,
            "original": redemption,
            "form": form,
            "change_url": change_url,
        }
        return TemplateResponse(request, "admin/rewards/redemption/cancel.html", context)

    @admin.action(description=_("Cancel and return the points"), permissions=["cancel"])
    def cancel_selected(self, request: HttpRequest, queryset) -> None:
        done = 0
        for redemption in queryset:
            try:
                redemption_cancel(redemption=redemption, actor=request.user, request=request)
                done += 1
            except ValidationError as error:
                self.message_user(
                    request, f"{redemption.voucher_code}: {error.messages[0]}", messages.ERROR
                )
        self.message_user(request, _("%(count)d cancelled.") % {"count": done}, messages.SUCCESS)

    @admin.action(description=_("Mark as fulfilled"), permissions=["change"])
    def fulfil_selected(self, request: HttpRequest, queryset) -> None:
        for redemption in queryset:
            try:
                redemption_fulfil(redemption=redemption, actor=request.user)
            except ValidationError as error:
                self.message_user(
                    request, f"{redemption.voucher_code}: {error.messages[0]}", messages.ERROR
                )
