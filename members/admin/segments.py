"""The segment builder in the staff area.

The change form of a segment is the builder: static/js/segments.js draws AND/OR groups of rules
from the field registry (given to the page as JSON with json_script, no inline script under the
strict CSP) and keeps the hidden `rules` field in step; every change asks the preview URL for
the live count and a sample of 10 members (one query each). Saving goes through
members.services.segments (errors shown on the form). Below the form: freeze a snapshot, export
the members as CSV or hashed for ad platforms, and the snapshots with their counts and
downloads. All of these are POSTs with the CSRF token; exports need members.export_member.
"""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, QuerySet
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseNotAllowed,
    JsonResponse,
)
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _

from members.csvutil import csv_response
from members.models import Segment, SegmentSnapshot
from members.segments import segment_registry_json, segment_rules_validate
from members.selectors.segments import segment_count, segment_sample, segment_snapshots
from members.services.segments import (
    AD_PLATFORMS,
    CONTACT_MODES,
    CONTACTS_OMIT,
    segment_clean,
    segment_create,
    segment_export_ad_rows,
    segment_export_csv_rows,
    segment_export_filename,
    segment_snapshot_create,
    segment_update,
)

SAMPLE_SIZE = 10
EMPTY_RULES = {"op": "and", "rules": []}


class RulesField(forms.JSONField):
    widget = forms.Textarea(attrs={"class": "segment-rules-json", "rows": 4})


class SegmentAdminForm(forms.ModelForm):
    rules = RulesField(label=_("rules"), required=False)

    class Meta:
        model = Segment
        fields = ["name", "description", "rules"]

    def clean(self):
        cleaned = super().clean()
        rules = cleaned.get("rules")
        if rules in (None, ""):
            rules = EMPTY_RULES
        try:
            normalised = segment_clean(
                segment=self.instance if self.instance.pk else None,
                name=cleaned.get("name", ""),
                rules=rules,
            )
        except ValidationError as error:
            for field, problems in error.message_dict.items():
                for problem in problems:
                    self.add_error(field if field in self.fields else None, problem)
            return cleaned
        cleaned.update(normalised)
        return cleaned


@admin.register(Segment)
class SegmentAdmin(admin.ModelAdmin):
    form = SegmentAdminForm
    change_form_template = "admin/members/segment/change_form.html"
    list_display = ["name", "description", "snapshot_count", "updated_at"]
    search_fields = ["name", "description"]
    fields = ["name", "description", "rules"]

    @admin.display(description=_("snapshots"), ordering="snapshot_total")
    def snapshot_count(self, segment: Segment) -> int:
        return segment.snapshot_total  # type: ignore[attr-defined]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Segment]:
        return super().get_queryset(request).annotate(snapshot_total=Count("snapshots"))

    # --- Saving through the service ---------------------------------------------------------

    def save_model(self, request: HttpRequest, obj: Segment, form, change: bool) -> None:
        data = form.cleaned_data
        if change:
            stored = Segment.objects.get(pk=obj.pk)
            segment = segment_update(
                segment=stored,
                name=data["name"],
                rules=data["rules"],
                description=data.get("description", ""),
                actor=request.user,
                request=request,
            )
        else:
            segment = segment_create(
                name=data["name"],
                rules=data["rules"],
                description=data.get("description", ""),
                actor=request.user,
                request=request,
            )
        obj.pk = segment.pk
        obj.refresh_from_db()

    # --- The builder page -------------------------------------------------------------------

    def _builder_context(self, request: HttpRequest, object_id: str | None) -> dict[str, Any]:
        segment = self.get_object(request, object_id) if object_id else None
        user = request.user
        context: dict[str, Any] = {
            "segment_registry": segment_registry_json(),
            "segment_preview_url": reverse("admin:members_segment_preview"),
            "segment_sample_size": SAMPLE_SIZE,
            "segment_can_export": user.has_perm("members.export_member"),
            "segment_can_snapshot": user.has_perm("members.add_segmentsnapshot"),
            "segment_ad_platforms": AD_PLATFORMS,
        }
        if segment is not None:
            context["segment_snapshots"] = list(segment_snapshots(segment=segment))
            context["segment_object"] = segment
        return context

    def add_view(self, request: HttpRequest, form_url: str = "", extra_context=None):
        context = {**self._builder_context(request, None), **(extra_context or {})}
        return super().add_view(request, form_url, context)

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context=None
    ):
        context = {**self._builder_context(request, object_id), **(extra_context or {})}
        return super().change_view(request, object_id, form_url, context)

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("preview/", wrap(self.preview_view), name="members_segment_preview"),
            path(
                "<int:object_id>/snapshot/",
                wrap(self.snapshot_view),
                name="members_segment_snapshot",
            ),
            path(
                "<int:object_id>/export/<str:kind>/",
                wrap(self.export_view),
                name="members_segment_export",
            ),
            path(
                "snapshot/<int:snapshot_id>/export/<str:kind>/",
                wrap(self.snapshot_export_view),
                name="members_segmentsnapshot_export",
            ),
            *super().get_urls(),
        ]

    def _segment_or_404(self, request: HttpRequest, object_id: int) -> Segment:
        segment = self.get_object(request, str(object_id))
        if segment is None:
            raise Http404
        return segment

    def preview_view(self, request: HttpRequest) -> HttpResponse:
        """POST {"rules": {...}} → {"count", "sample": [...]} or 400 {"errors": [...]}."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        try:
            payload = json.loads(request.body or b"{}")
        except ValueError:
            return JsonResponse({"errors": [str(_("The rules are not valid JSON."))]}, status=400)
        rules = payload.get("rules") if isinstance(payload, dict) else None
        try:
            rules = segment_rules_validate(rules if rules is not None else EMPTY_RULES)
        except ValidationError as error:
            return JsonResponse({"errors": error.messages}, status=400)
        count = segment_count(rules=rules)
        sample = segment_sample(rules=rules, size=SAMPLE_SIZE)
        can_open = request.user.has_perm("members.view_member")
        return JsonResponse(
            {
                "count": count,
                "sample": [
                    {
                        "number": member.number,
                        "name": member.full_name,
                        "city": member.city,
                        "store": member.preferred_store.name if member.preferred_store else "",
                        "url": reverse("admin:members_member_change", args=[member.pk])
                        if can_open
                        else "",
                    }
                    for member in sample
                ],
            }
        )

    def snapshot_view(self, request: HttpRequest, object_id: int) -> HttpResponse:
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not request.user.has_perm("members.add_segmentsnapshot"):
            raise PermissionDenied
        segment = self._segment_or_404(request, object_id)
        snapshot = segment_snapshot_create(segment=segment, actor=request.user, request=request)
        messages.success(
            request,
            _("Snapshot frozen with %(count)d members.") % {"count": snapshot.member_count},
        )
        return redirect("admin:members_segment_change", segment.pk)

    def _export(
        self,
        request: HttpRequest,
        *,
        kind: str,
        segment: Segment | None = None,
        snapshot: SegmentSnapshot | None = None,
    ) -> HttpResponse:
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if kind == "csv":
            contacts = request.POST.get("contacts") or CONTACTS_OMIT
            if contacts not in CONTACT_MODES:
                contacts = CONTACTS_OMIT
            header, rows = segment_export_csv_rows(
                actor=request.user,
                segment=segment,
                snapshot=snapshot,
                request=request,
                contacts=contacts,
            )
        elif kind in AD_PLATFORMS:
            header, rows = segment_export_ad_rows(
                actor=request.user,
                segment=segment,
                snapshot=snapshot,
                platform=kind,
                request=request,
            )
        else:
            raise Http404
        filename = segment_export_filename(
            segment=segment, snapshot=snapshot, suffix="members" if kind == "csv" else kind
        )
        return csv_response(filename, header, rows)

    def export_view(self, request: HttpRequest, object_id: int, kind: str) -> HttpResponse:
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        return self._export(request, kind=kind, segment=self._segment_or_404(request, object_id))

    def snapshot_export_view(
        self, request: HttpRequest, snapshot_id: int, kind: str
    ) -> HttpResponse:
        if not request.user.has_perm("members.view_segmentsnapshot"):
            raise PermissionDenied
        snapshot = SegmentSnapshot.objects.select_related("segment").filter(pk=snapshot_id).first()
        if snapshot is None:
            raise Http404
        return self._export(request, kind=kind, snapshot=snapshot)
