"""The member behind an API request's login, for every app's member endpoints."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import NotFound
from rest_framework.request import Request

from members.models import Member
from members.selectors.profiles import member_for_login


def own_member(request: Request) -> Member:
    """The logged-in member; 404 for a login without a membership (staff, unlinked)."""
    member = member_for_login(user=request.user)
    if member is None:
        raise NotFound(_("This login has no membership."))
    return member
