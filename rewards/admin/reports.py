"""Staff reports and bulk work on the points accounts page: the liability report (points
outstanding, their value, when they expire, breakage), redemption and breakage rates per reward,
and the bulk adjustment of a whole segment's points (queued for a worker, audited)."""

from __future__ import annotations

from celery import current_app
from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from members.models import Segment
from rewards.models import BulkAdjustment
from rewards.selectors.reports import point_value, points_liability, reward_rates_list
from rewards.services.bulk import points_bulk_adjust_start


class BulkAdjustForm(forms.Form):
    segment = forms.ModelChoiceField(
        label=_("Segment"),
        queryset=Segment.objects.order_by("name"),
        help_text=_("Its members are frozen now; members erased before the run are skipped."),
    )
    points = forms.IntegerField(
        label=_("Points per member"),
        help_text=_("Positive to add, negative to remove (members with too few are skipped)."),
    )
    reason = forms.CharField(label=_("Reason shown to the members"), max_length=255)
    confirm = forms.BooleanField(
        label=_("I have checked the segment and the points"),
        required=False,
        widget=forms.HiddenInput,
    )

    def clean_points(self) -> int:
        points = self.cleaned_data["points"]
        if points == 0:
            raise ValidationError(_("Enter a number of points other than zero."))
        return points


class PointsReportsMixin:
    """For PointsAccountAdmin: /report/ and /bulk-adjust/ under its URL."""

    def get_urls(self):
        admin_view = self.admin_site.admin_view  # type: ignore[attr-defined]
        return [
            path("report/", admin_view(self.report_view), name="rewards_points_report"),
            path(
                "bulk-adjust/", admin_view(self.bulk_adjust_view), name="rewards_points_bulk_adjust"
            ),
            *super().get_urls(),  # type: ignore[misc]
        ]

    def changelist_view(self, request: HttpRequest, extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "can_bulk_adjust": request.user.has_perm("rewards.adjust_points"),
        }
        return super().changelist_view(request, extra_context)  # type: ignore[misc]

    def _context(self, request: HttpRequest, title) -> dict:
        return {
            **self.admin_site.each_context(request),  # type: ignore[attr-defined]
            "title": title,
            "opts": self.model._meta,  # type: ignore[attr-defined]
        }

    def report_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_view_permission(request):  # type: ignore[attr-defined]
            raise PermissionDenied
        context = {
            **self._context(request, _("Points liability and reward rates")),
            "liability": points_liability(),
            "point_value": point_value(),
            "rates": reward_rates_list(),
        }
        return TemplateResponse(request, "admin/rewards/points_report.html", context)

    def bulk_adjust_view(self, request: HttpRequest) -> HttpResponse:
        if not request.user.has_perm("rewards.adjust_points"):
            raise PermissionDenied
        form = BulkAdjustForm(request.POST or None)
        preview = None
        if request.method == "POST" and form.is_valid():
            segment = form.cleaned_data["segment"]
            if not request.POST.get("confirmed"):
                # First step: show who and how many, ask to confirm.
                from members.selectors.segments import segment_count

                try:
                    preview = segment_count(rules=segment.rules)
                except ValidationError as error:
                    form.add_error("segment", error)
            else:
                try:
                    plan = points_bulk_adjust_start(
                        segment=segment,
                        points=form.cleaned_data["points"],
                        reason=form.cleaned_data["reason"],
                        actor=request.user,
                        request=request,
                    )
                except ValidationError as error:
                    form.add_error(None, error)
                else:
                    # By name: admin and tasks are sibling layers (rewards/tasks.py).
                    current_app.tasks["rewards.tasks.points_bulk_adjust_task"].delay(
                        batch=plan.batch,
                        snapshot_id=plan.snapshot_id,
                        points=plan.points,
                        reason=form.cleaned_data["reason"],
                        actor_id=request.user.pk,
                    )
                    self.message_user(  # type: ignore[attr-defined]
                        request,
                        _(
                            "Adjusting %(points)+d points for %(members)d members of "
                            "“%(segment)s”: the worker is on it, and each member's history "
                            "will show it."
                        )
                        % {"points": plan.points, "members": plan.members, "segment": segment},
                        messages.SUCCESS,
                    )
                    return redirect("admin:rewards_bulkadjustment_changelist")
        context = {
            **self._context(request, _("Adjust the points of a whole segment")),
            "form": form,
            "preview": preview,
        }
        return TemplateResponse(request, "admin/rewards/bulk_adjust.html", context)


@admin.register(BulkAdjustment)
class BulkAdjustmentAdmin(admin.ModelAdmin):
    """Bulk adjustments and how far each has come: a progress bar per batch, the page refreshing
    itself (no script) while one runs. Read-only: they are started from the points accounts."""

    list_display = [
        "created_at",
        "segment",
        "points",
        "progress_bar",
        "adjusted",
        "skipped",
        "status",
        "actor",
    ]
    list_filter = ["status"]
    list_select_related = ["segment", "actor"]
    readonly_fields = [field.name for field in BulkAdjustment._meta.fields]
    change_list_template = "admin/rewards/bulkadjustment_change_list.html"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    @admin.display(description=_("progress"))
    def progress_bar(self, bulk: BulkAdjustment) -> str:
        return format_html(
            '<progress max="{}" value="{}">{} %</progress> {}/{}',
            bulk.members,
            bulk.done,
            bulk.percent,
            bulk.done,
            bulk.members,
        )

    def changelist_view(self, request: HttpRequest, extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "refresh": BulkAdjustment.objects.filter(status=BulkAdjustment.Status.RUNNING).exists(),
        }
        return super().changelist_view(request, extra_context)
