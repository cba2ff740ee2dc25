"""Campaigns in the admin: edited while a draft, scheduled, paused, resumed and cancelled
through the services (only with `campaigns.send_campaign`), with a progress bar while sending,
the A/B and holdout report, a preview as any member and a test sent to oneself."""

from __future__ import annotations

import datetime

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from campaigns.admin.forms import CampaignForm, PreviewForm, VariantForm
from campaigns.models import Campaign, Variant
from campaigns.selectors.calendar import calendar_days, calendar_window
from campaigns.selectors.campaigns import member_find
from campaigns.selectors.reports import campaign_progress, campaign_report
from campaigns.services.campaigns import (
    SEND_PERMISSION,
    campaign_cancel,
    campaign_pause,
    campaign_resume,
    campaign_schedule,
    campaign_unschedule,
)
from campaigns.services.preview import campaign_send_test, message_preview


class VariantInline(admin.StackedInline):
    model = Variant
    form = VariantForm
    extra = 0
    min_num = 1

    def has_change_permission(self, request, obj=None) -> bool:
        return (obj is None or obj.is_editable) and super().has_change_permission(request, obj)

    def has_add_permission(self, request, obj=None) -> bool:
        return (obj is None or obj.is_editable) and super().has_add_permission(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return (obj is None or obj.is_editable) and super().has_delete_permission(request, obj)


ACTIONS = {
    "schedule": (campaign_schedule, _("Scheduled “%(name)s”.")),
    "unschedule": (campaign_unschedule, _("“%(name)s” is a draft again.")),
    "pause": (campaign_pause, _("Paused “%(name)s”.")),
    "resume": (campaign_resume, _("Sending “%(name)s” again.")),
    "cancel": (campaign_cancel, _("Cancelled “%(name)s”.")),
}


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    form = CampaignForm
    inlines = [VariantInline]
    list_display = ["name", "channel", "state", "progress", "send_at", "targeted_count"]
    list_filter = ["state", "channel", "purpose"]
    search_fields = ["name"]
    autocomplete_fields = ["segment"]
    readonly_fields = [
        "state",
        "state_note",
        "started_at",
        "finished_at",
        "targeted_count",
        "winner",
        "winner_chosen_at",
    ]
    change_form_template = "admin/campaigns/campaign_change_form.html"
    change_list_template = "admin/campaigns/campaign_change_list.html"

    def get_queryset(self, request: HttpRequest):
        return super().get_queryset(request).filter(key="", trigger="").select_related("segment")

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        if obj is not None and not obj.is_editable:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        if obj is not None and obj.state != Campaign.State.DRAFT:
            return False
        return super().has_delete_permission(request, obj)

    def save_model(self, request, obj, form, change) -> None:
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)

    @admin.display(description=_("progress"))
    def progress(self, obj: Campaign) -> str:
        if obj.state not in (Campaign.State.SENDING, Campaign.State.PAUSED, Campaign.State.SENT):
            return "–"
        figures = campaign_progress(campaign=obj)
        return format_html(
            '<progress max="100" value="{}">{} %</progress> {} %',
            figures["percent"],
            figures["percent"],
            figures["percent"],
        )

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("<int:pk>/state/<str:action>/", view(self.state_view), name="campaigns_state"),
            path("<int:pk>/preview/", view(self.preview_view), name="campaigns_preview"),
            path(
                "<int:pk>/preview/raw/", view(self.preview_raw_view), name="campaigns_preview_raw"
            ),
            path("<int:pk>/report/", view(self.report_view), name="campaigns_report"),
            path("calendar/", view(self.calendar_view), name="campaigns_calendar"),
            *super().get_urls(),
        ]

    def _campaign(self, request: HttpRequest, pk: int) -> Campaign:
        if not self.has_view_permission(request):
            raise PermissionDenied
        # Campaigns and triggers alike (a trigger's preview and report are these pages too).
        return get_object_or_404(Campaign.objects.filter(key=""), pk=pk)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        campaign = self.get_queryset(request).filter(pk=object_id).first()
        extra = dict(extra_context or {})
        if campaign is not None:
            extra.update(
                {
                    "campaign": campaign,
                    "can_send": request.user.has_perm(SEND_PERMISSION),
                    "progress": campaign_progress(campaign=campaign),
                }
            )
        return super().change_view(request, object_id, form_url, extra)

    @method_decorator(require_POST)
    def state_view(self, request: HttpRequest, pk: int, action: str) -> HttpResponse:
        campaign = self._campaign(request, pk)
        if action not in ACTIONS:
            raise PermissionDenied
        service, done = ACTIONS[action]
        try:
            service(campaign=campaign, actor=request.user, request=request)
        except PermissionDenied:
            messages.error(request, _("Only marketers and club admins may do that."))
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
        else:
            messages.success(request, done % {"name": campaign.name})
        return redirect("admin:campaigns_campaign_change", campaign.pk)

    def preview_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        campaign = self._campaign(request, pk)
        form = PreviewForm(request.POST or request.GET or None, campaign=campaign)
        preview = None
        member = None
        if form.is_valid():
            member = member_find(text=form.cleaned_data["member"])
            if form.cleaned_data["member"] and member is None:
                form.add_error("member", _("No member with that number or e-mail."))
            else:
                variant = form.cleaned_data["variant"]
                language = form.cleaned_data["language"] or None
                if request.method == "POST":
                    try:
                        address = campaign_send_test(
                            campaign=campaign,
                            variant=variant,
                            actor=request.user,
                            language=language,
                        )
                    except ValidationError as error:
                        messages.error(request, " ".join(error.messages))
                    else:
                        messages.success(
                            request, _("A test was sent to %(address)s.") % {"address": address}
                        )
                preview = message_preview(
                    campaign=campaign, variant=variant, member=member, language=language
                )
        context = {
            **self.admin_site.each_context(request),
            "title": _("Preview of “%(name)s”") % {"name": campaign.name},
            "opts": self.model._meta,
            "original": campaign,
            "campaign": campaign,
            "form": form,
            "preview": preview,
            "member": member,
            "raw_url": reverse("admin:campaigns_preview_raw", args=[campaign.pk])
            + "?"
            + request.GET.urlencode(),
        }
        return TemplateResponse(request, "admin/campaigns/preview.html", context)

    def preview_raw_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        """The e-mail's HTML alone, for the preview's frame (its inline styles allowed here)."""
        campaign = self._campaign(request, pk)
        form = PreviewForm(request.GET, campaign=campaign)
        if not form.is_valid():
            return HttpResponse(status=400)
        member = member_find(text=form.cleaned_data["member"])
        preview = message_preview(
            campaign=campaign,
            variant=form.cleaned_data["variant"],
            member=member,
            language=form.cleaned_data["language"] or None,
        )
        return _raw(HttpResponse(preview.html))

    def report_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        campaign = self._campaign(request, pk)
        results = campaign_report(campaign=campaign)
        context = {
            **self.admin_site.each_context(request),
            "title": _("Results of “%(name)s”") % {"name": campaign.name},
            "opts": self.model._meta,
            "original": campaign,
            "campaign": campaign,
            "results": results,
            "has_holdout": any(r.is_holdout for r in results),
        }
        return TemplateResponse(request, "admin/campaigns/report.html", context)

    def calendar_view(self, request: HttpRequest) -> HttpResponse:
        """Past and planned campaigns, triggers and whatever else registers with core.calendar,
        by week, month or quarter."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        try:
            around = datetime.date.fromisoformat(request.GET.get("date", ""))
        except ValueError:
            around = timezone.localdate()
        window = calendar_window(view=request.GET.get("view", "month"), around=around)
        context = {
            **self.admin_site.each_context(request),
            "title": _("Campaign calendar"),
            "opts": self.model._meta,
            "window": window,
            "days": calendar_days(window=window, user=request.user),
            "views": [("week", _("Week")), ("month", _("Month")), ("quarter", _("Quarter"))],
        }
        return TemplateResponse(request, "admin/campaigns/calendar.html", context)


def _raw(response: HttpResponse) -> HttpResponse:
    response["X-Frame-Options"] = "SAMEORIGIN"
    response["Content-Security-Policy"] = (
        "default-src 'none'; style-src 'unsafe-inline'; img-src https: data:; "
        "frame-ancestors 'self'"
    )
    response._csp_exempt = True  # type: ignore[attr-defined]
    return response
