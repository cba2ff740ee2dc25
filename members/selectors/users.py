"""Reads about members."""

from __future__ import annotations

from members.models import User


def user_get_self(*, user: User) -> User:
    """The logged-in user's own record: what /api/v1/me/ shows."""
    return User.objects.prefetch_related("groups").get(pk=user.pk)
