"""The member 360 page in the staff area: profile, consents and their log, scores, the latest
purchases and the merged timeline from every app (members.timeline). Reached from the member
list ("360" column) and the member's change page; needs members.view_member, and staff MFA
like every admin page (registered through MemberAdmin.get_urls, wrapped by admin_view).
"""

from __future__ import annotations

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from members.models import Member
from members.selectors.field_access import member_fields_visible
from members.selectors.scores import member_score_explained
from members.selectors.timeline import member_360
from members.timeline import member360_panels

# The 360 page shows the whole profile, purchases and history: only for roles that may see the
# member's contact details, profile and personal data (members.selectors.field_access).
_360_FIELDS = frozenset({"email", "phone", "birth_date", "city", "interests"})


class Member360AdminMixin:
    """Adds /admin/members/member/<id>/360/ and a link column to a Member ModelAdmin."""

    def get_urls(self):
        return [
            path(
                "<int:object_id>/360/",
                self.admin_site.admin_view(self.member_360_view),  # type: ignore[attr-defined]
                name="members_member_360",
            ),
            *super().get_urls(),  # type: ignore[misc]
        ]

    def member_360_allowed(self, request: HttpRequest) -> bool:
        return member_fields_visible(user=request.user) >= _360_FIELDS

    @admin.display(description=_("overview"))
    def member_360_link(self, member: Member) -> str:
        url = reverse("admin:members_member_360", args=[member.pk])
        return format_html('<a href="{}">{}</a>', url, _("360"))

    def member_360_view(self, request: HttpRequest, object_id: int) -> HttpResponse:
        if not self.member_360_allowed(request):
            raise PermissionDenied
        overview = member_360(member_id=object_id)
        member = overview.member
        context = {
            **self.admin_site.each_context(request),  # type: ignore[attr-defined]
            "title": _("Member 360: %(member)s") % {"member": member},
            "subtitle": member.number,
            "opts": Member._meta,
            "overview": overview,
            "member": member,
            "panels": member360_panels(request, member),
            "score_explained": member_score_explained(overview.score),
            "change_url": reverse("admin:members_member_change", args=[member.pk]),
            "can_change": request.user.has_perm("members.change_member"),
        }
        return TemplateResponse(request, "admin/members/member/member360.html", context)
