"""Admin for CSV imports (upload → preview with every row's errors → confirm) and the
"Export selected as CSV" action on the member list.

Who may: members.import_member for imports, members.export_member for exports. Every write goes
through members.services.imports; the views are registered through get_urls/admin_view, so the
admin's login and staff MFA apply.
"""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.services import audit_log
from members.csvutil import csv_response
from members.models import Member, MemberImport
from members.services.imports import (
    IMPORT_MAX_BYTES,
    IMPORT_MAX_ROWS,
    MEMBER_COLUMNS,
    MEMBER_REQUIRED,
    PURCHASE_COLUMNS,
    PURCHASE_REQUIRED,
    member_import_cancel,
    member_import_queue,
    member_import_resume,
    member_import_upload,
)

IMPORT_PERMISSION = "members.import_member"
# Without progress for this long the worker is presumed lost, and the page offers to resume.
IMPORT_STALLED_AFTER = datetime.timedelta(minutes=2)
EXPORT_PERMISSION = "members.export_member"


class ImportUploadForm(forms.Form):
    kind = forms.ChoiceField(label=_("What the file holds"), choices=MemberImport.Kind.choices)
    file = forms.FileField(
        label=_("CSV file"),
        help_text=_(
            "UTF-8 (or Excel's Windows encoding), separated by commas or semicolons, the first "
            "line naming the columns. At most %(mb)d MB and %(rows)d rows."
        )
        % {"mb": IMPORT_MAX_BYTES // (1024 * 1024), "rows": IMPORT_MAX_ROWS},
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        # Refuse an oversized file from its declared size, before reading it.
        if upload.size > IMPORT_MAX_BYTES:
            raise ValidationError(
                _("The file is %(size).1f MB; at most %(limit).1f MB can be imported at once."),
                params={
                    "size": upload.size / 1024 / 1024,
                    "limit": IMPORT_MAX_BYTES / 1024 / 1024,
                },
            )
        return upload


class ImportConfirmForm(forms.Form):
    skip_bad_rows = forms.BooleanField(
        label=_("Skip the rows with errors and import the others"), required=False
    )


@admin.register(MemberImport)
class MemberImportAdmin(admin.ModelAdmin):
    list_display = [
        "created_at",
        "kind",
        "filename",
        "status",
        "row_count",
        "error_count",
        "created_count",
        "updated_count",
        "uploaded_by",
    ]
    list_filter = ["kind", "status"]
    list_select_related = ["uploaded_by"]
    ordering = ["-created_at", "-id"]

    def _allowed(self, request: HttpRequest) -> bool:
        return request.user.has_perm(IMPORT_PERMISSION)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self._allowed(request)

    def has_view_permission(self, request: HttpRequest, obj=None) -> bool:
        return self._allowed(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return self._allowed(request)

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def _context(self, request: HttpRequest, **extra: Any) -> dict[str, Any]:
        return {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "has_view_permission": True,
            **extra,
        }

    # "Add" is the upload page; an import's own page is its preview.
    def add_view(self, request: HttpRequest, form_url: str = "", extra_context=None):
        if not self._allowed(request):
            raise PermissionDenied
        form = ImportUploadForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            member_import = member_import_upload(
                kind=form.cleaned_data["kind"],
                filename=upload.name,
                data=upload.read(),
                actor=request.user,
                request=request,
            )
            return redirect(reverse("admin:members_memberimport_change", args=[member_import.pk]))
        return TemplateResponse(
            request,
            "members/imports/admin_upload.html",
            self._context(
                request,
                title=_("Import members or purchases from CSV"),
                form=form,
                member_columns=MEMBER_COLUMNS,
                member_required=MEMBER_REQUIRED,
                purchase_columns=PURCHASE_COLUMNS,
                purchase_required=PURCHASE_REQUIRED,
            ),
        )

    def change_view(self, request: HttpRequest, object_id: str, form_url="", extra_context=None):
        if not self._allowed(request):
            raise PermissionDenied
        member_import = (
            MemberImport.objects.select_related("uploaded_by")
            .filter(pk=object_id if str(object_id).isdigit() else None)
            .first()
        )
        if member_import is None:
            return redirect("admin:members_memberimport_changelist")
        form = ImportConfirmForm(request.POST or None)
        if request.method == "POST":
            if "cancel" in request.POST:
                member_import_cancel(
                    member_import=member_import, actor=request.user, request=request
                )
                self.message_user(request, _("The import was cancelled."), messages.INFO)
                return redirect("admin:members_memberimport_changelist")
            if "resume" in request.POST:
                member_import_resume(
                    member_import=member_import, actor=request.user, request=request
                )
                return HttpResponseRedirect(request.path)
            if form.is_valid():
                try:
                    member_import = member_import_queue(
                        member_import=member_import,
                        actor=request.user,
                        skip_bad_rows=form.cleaned_data["skip_bad_rows"],
                        request=request,
                    )
                except ValidationError as error:
                    self.message_user(request, " ".join(error.messages), messages.ERROR)
                    return HttpResponseRedirect(request.path)
                self.message_user(
                    request,
                    _("The import has started; this page shows how far it has come."),
                    messages.INFO,
                )
                return HttpResponseRedirect(request.path)
        importing = member_import.status == MemberImport.Status.IMPORTING
        stalled = bool(
            importing
            and member_import.progress_at
            and timezone.now() - member_import.progress_at > IMPORT_STALLED_AFTER
        )
        return TemplateResponse(
            request,
            "members/imports/admin_preview.html",
            self._context(
                request,
                title=_("CSV import: %(file)s") % {"file": member_import.filename},
                member_import=member_import,
                form=form,
                can_confirm=member_import.status == MemberImport.Status.PREVIEWED,
                errors_shown=len(member_import.errors),
                importing=importing,
                stalled=stalled,
                percent=(
                    round(100 * member_import.progress / member_import.row_count)
                    if member_import.row_count
                    else 0
                ),
            ),
        )


# --- Export ------------------------------------------------------------------------------------

EXPORT_HEADER = (
    _("membership number"),
    _("first name"),
    _("last name"),
    _("e-mail"),
    _("phone"),
    _("postcode"),
    _("city"),
    _("language"),
    _("status"),
    _("joined"),
    _("store"),
)


@admin.action(description=_("Export selected as CSV"), permissions=["export"])
def export_members_csv(
    modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet[Member]
) -> HttpResponse:
    """The selected members as a CSV download: one query however many rows, streamed."""
    if not request.user.has_perm(EXPORT_PERMISSION):
        raise PermissionDenied
    statuses = dict(Member.Status.choices)
    rows = (
        queryset.order_by("number")
        .values_list(
            "number",
            "first_name",
            "last_name",
            "email",
            "phone",
            "postcode",
            "city",
            "language",
            "status",
            "joined_at",
            "preferred_store__code",
        )
        .iterator(chunk_size=2000)
    )
    audit_log(
        action="member.export_csv",
        actor=request.user,
        request=request,
        details={"members": queryset.count()},
    )

    def cells():
        for row in rows:
            row = list(row)
            row[8] = statuses.get(row[8], row[8])
            row[9] = row[9].date() if row[9] else None
            yield row

    return csv_response("members.csv", [str(h) for h in EXPORT_HEADER], cells())
