"""Reads for the staff pages."""

from __future__ import annotations

from django.db.models import Q

from members.models import Member, normalize_email


def member_find(*, text: str) -> Member | None:
    """A member by membership number or e-mail address (for previews); None if nobody."""
    text = (text or "").strip()
    if not text:
        return None
    return (
        Member.objects.not_erased()
        .filter(Q(number=text) | Q(email=normalize_email(text)))
        .select_related("preferred_store")
        .first()
    )
