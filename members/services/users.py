"""Writes about members."""

from __future__ import annotations

from django.conf import settings

from members.models import User


def user_set_language(*, user: User, language: str) -> User:
    """Keep `language` (a code in settings.LANGUAGES) as the user's portal and e-mail language."""
    if language not in dict(settings.LANGUAGES):
        raise ValueError(f"Unknown language {language!r}: not in settings.LANGUAGES.")
    if user.language != language:
        user.language = language
        user.save(update_fields=["language"])
    return user
