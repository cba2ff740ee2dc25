"""The club's own pages (membership terms, privacy notice)."""

from __future__ import annotations

from members.models import ClubPage


def club_page_get(*, kind: str) -> ClubPage | None:
    return ClubPage.objects.filter(kind=kind).first()
