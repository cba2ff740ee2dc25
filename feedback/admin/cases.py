"""Follow-up cases: open cases by due time and owner, overdue ones marked, and a close page
that asks what was done (and may send the member 'did we fix it?')."""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from feedback.forms import CaseCloseForm
from feedback.models import CaseRoute, FollowUpCase
from feedback.services.cases import case_close
from members.roles import CLUB_ADMIN, MARKETER


class OverdueFilter(admin.SimpleListFilter):
    title = _("overdue")
    parameter_name = "overdue"

    def lookups(self, request, model_admin):
        return [("yes", _("Overdue")), ("no", _("Not overdue"))]

    def queryset(self, request, queryset):
        now = timezone.now()
        if self.value() == "yes":
            return queryset.filter(status=FollowUpCase.Status.OPEN, due_at__lt=now)
        if self.value() == "no":
            return queryset.exclude(status=FollowUpCase.Status.OPEN, due_at__lt=now)
        return queryset


@admin.register(FollowUpCase)
class FollowUpCaseAdmin(admin.ModelAdmin):
    list_display = ["__str__", "member", "owner", "status", "due_display", "created_at", "answer"]
    list_filter = ["status", OverdueFilter, "reason", "owner"]
    list_select_related = ["member", "owner", "response__survey"]
    search_fields = ["member__number", "member__email", "note"]
    fields = [
        "response",
        "member",
        "reason",
        "owner",
        "status",
        "created_at",
        "due_at",
        "escalated_at",
        "closed_at",
        "closed_by",
        "note",
        "resurvey_sent",
    ]
    readonly_fields = [f for f in fields if f != "owner"]

    def has_add_permission(self, request) -> bool:
        return False

    def get_queryset(self, request):
        """Store staff see the cases they own; club admins and marketers see them all."""
        qs = super().get_queryset(request)
        user = request.user
        if user.is_superuser or user.groups.filter(name__in=[CLUB_ADMIN, MARKETER]).exists():
            return qs
        return qs.filter(owner=user)

    @admin.display(description=_("due"), ordering="due_at")
    def due_display(self, obj: FollowUpCase) -> str:
        if obj.is_overdue():
            return format_html(
                '<strong class="overdue">{} · {}</strong>',
                obj.due_at.strftime("%Y-%m-%d %H:%M"),
                _("overdue"),
            )
        return obj.due_at.strftime("%Y-%m-%d %H:%M")

    @admin.display(description=_("answer"))
    def answer(self, obj: FollowUpCase) -> str:
        r = obj.response
        value = f"NPS {r.nps}" if r.nps is not None else f"CSAT {r.csat}"
        return f"{r.survey} · {value}"

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("<int:pk>/close/", view(self.close_view), name="feedback_followupcase_close"),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = extra_context or {}
        extra_context["close_url"] = reverse("admin:feedback_followupcase_close", args=[object_id])
        return super().change_view(request, object_id, form_url, extra_context)

    def close_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        if not self.has_change_permission(request):
            raise PermissionDenied
        case = get_object_or_404(
            self.get_queryset(request).select_related("response__survey"), pk=pk
        )
        form = CaseCloseForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                case_close(
                    case=case,
                    actor=request.user,
                    note=form.cleaned_data["note"],
                    resurvey=form.cleaned_data["resurvey"],
                )
            except ValidationError as error:
                if hasattr(error, "error_dict"):
                    for field, errors in error.error_dict.items():
                        form.add_error(field if field in form.fields else None, errors)
                else:
                    form.add_error(None, error)
            else:
                messages.success(request, _("The case is closed."))
                return redirect("admin:feedback_followupcase_changelist")
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "case": case,
            "form": form,
            "title": _("Close case %(case)s") % {"case": case},
        }
        return TemplateResponse(request, "admin/feedback/case_close.html", context)


@admin.register(CaseRoute)
class CaseRouteAdmin(admin.ModelAdmin):
    list_display = ["store", "owner"]
    list_select_related = ["store", "owner"]
