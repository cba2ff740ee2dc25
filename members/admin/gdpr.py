"""GDPR and data actions for the member list: "Export selected as CSV", "Download data (ZIP)",
"Erase personal data" (with a confirmation page), and the "due for retention review" filter.

MemberAdmin (members/admin/profiles.py) takes them by inheriting MemberDataAdminMixin.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _

from members.admin.imports import EXPORT_PERMISSION, export_members_csv
from members.models import Member
from members.selectors.retention import retention_review_q
from members.services.gdpr import MemberAlreadyErased, member_erase, member_export_zip

ERASE_PERMISSION = "members.erase_member"


class RetentionReviewFilter(admin.SimpleListFilter):
    """Members inactive longer than MEMBER_RETENTION_YEARS (members.selectors.retention)."""

    title = _("retention review")
    parameter_name = "retention"

    def lookups(self, request, model_admin):
        return [("due", _("Due for retention review"))]

    def queryset(self, request, queryset):
        if self.value() == "due":
            return queryset.filter(retention_review_q())
        return queryset


@admin.action(description=_("Download data (ZIP)"), permissions=["erase"])
def member_download_data(
    modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet[Member]
) -> HttpResponse | None:
    """One member's data export, as the member would get it from the portal. Handling data
    requests is the data-protection job: it needs members.erase_member like erasure."""
    if not request.user.has_perm(ERASE_PERMISSION):
        raise PermissionDenied
    members = list(queryset[:2])
    if len(members) != 1:
        modeladmin.message_user(
            request, _("Select exactly one member to download their data."), messages.WARNING
        )
        return None
    member = members[0]
    data = member_export_zip(member=member, actor=request.user, request=request)
    response = HttpResponse(data, content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="member-{member.pk}-data.zip"'
    return response


@admin.action(description=_("Erase personal data"), permissions=["erase"])
def member_erase_selected(
    modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet[Member]
) -> HttpResponse | None:
    """A confirmation page first; on "Yes, erase" every selected member is erased."""
    if not request.user.has_perm(ERASE_PERMISSION):
        raise PermissionDenied
    members = list(queryset.order_by("pk"))
    if request.POST.get("post") == "yes":
        erased = 0
        for member in members:
            try:
                member_erase(member=member, actor=request.user, request=request)
            except MemberAlreadyErased as error:
                modeladmin.message_user(request, f"{member}: {error.messages[0]}", messages.INFO)
            else:
                erased += 1
        if erased:
            modeladmin.message_user(
                request,
                _("Personal data of %(count)d members was erased.") % {"count": erased},
                messages.SUCCESS,
            )
        return None
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": _("Erase personal data?"),
        "members": members,
        "already_erased": [m for m in members if m.status == Member.Status.ERASED],
        "queryset": queryset,
        "opts": modeladmin.model._meta,
        "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        "action_name": "member_erase_selected",
        "media": modeladmin.media,
    }
    return TemplateResponse(request, "members/gdpr/admin_erase_confirm.html", context)


class MemberDataAdminMixin:
    """For MemberAdmin: the CSV export and GDPR actions and the retention filter."""

    actions = [export_members_csv, member_download_data, member_erase_selected]

    def has_export_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm(EXPORT_PERMISSION)

    def has_erase_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm(ERASE_PERMISSION)

    def get_list_filter(self, request: HttpRequest):
        return [*super().get_list_filter(request), RetentionReviewFilter]  # type: ignore[misc]
