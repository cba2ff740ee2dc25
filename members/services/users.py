"""Writes about members."""

from __future__ import annotations

from django.conf import settings
from django.utils import timezone

from members.models import Member, User


def user_set_language(*, user: User, language: str) -> User:
    """Keep `language` (a code in settings.LANGUAGES) as the user's portal and e-mail language,
    and their member's: one setting, whether changed in the header or in the profile."""
    if language not in dict(settings.LANGUAGES):
        raise ValueError(f"Unknown language {language!r}: not in settings.LANGUAGES.")
    if user.language != language:
        user.language = language
        user.save(update_fields=["language"])
    # One language setting: the header's switch and the profile's language are the same, so the
    # login's member (its e-mail and SMS language) follows.
    Member.objects.filter(user=user).exclude(language=language).update(
        language=language, updated_at=timezone.now()
    )
    return user
