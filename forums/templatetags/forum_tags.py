"""How a forum author is shown: their display name (never their real name), "Former member"
once erased, and a badge for staff and appointed experts."""

from __future__ import annotations

from django import template
from django.utils.translation import gettext as _

from forums.models import ForumProfile
from members.models import Member

register = template.Library()


def _profile(member: Member) -> ForumProfile | None:
    try:
        return member.forum_profile
    except ForumProfile.DoesNotExist:
        return None


@register.filter
def forum_name(member: Member) -> str:
    if member is None or member.status == Member.Status.ERASED:
        return _("Former member")
    profile = _profile(member)
    if profile is None or not profile.display_name:
        return _("Member")
    return profile.display_name


@register.filter
def forum_badge(member: Member) -> str:
    """ "staff", "expert" or "" for the author's badge."""
    if member is None or member.status == Member.Status.ERASED:
        return ""
    if getattr(member, "user", None) is not None and member.user.is_staff:
        return "staff"
    profile = _profile(member)
    return "expert" if profile is not None and profile.is_expert else ""
