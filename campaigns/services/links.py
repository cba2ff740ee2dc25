"""Signed links in messages: unsubscribe, open pixel and click redirect.

Each token is Django's signing (HMAC with SECRET_KEY and a salt per kind), so it cannot be
forged or altered: a changed message id, member or link index fails the signature. A click token
names the message and the index of the link in that message's variant, never a URL: the
redirect can only lead to a URL that is in the message.
"""

from __future__ import annotations

import functools

from django.conf import settings
from django.core import signing
from django.urls import reverse

UNSUBSCRIBE_SALT = "campaigns.unsubscribe"
OPEN_SALT = "campaigns.open"
CLICK_SALT = "campaigns.click"


def _absolute(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


_PLACEHOLDER = "TOKEN"


@functools.lru_cache(maxsize=8)
def _path_around(name: str) -> tuple[str, str]:
    """The URL path of `name` split around its token (reverse() once, not per message)."""
    before, _sep, after = reverse(name, args=[_PLACEHOLDER]).partition(_PLACEHOLDER)
    return before, after


def _url(name: str, token: str) -> str:
    before, after = _path_around(name)
    return _absolute(f"{before}{token}{after}")


def unsubscribe_token(*, member_id: int, channel: str, message_id: int | None) -> str:
    return signing.dumps([member_id, channel, message_id], salt=UNSUBSCRIBE_SALT, compress=True)


def unsubscribe_token_read(token: str) -> tuple[int, str, int | None]:
    """(member id, channel, message id); signing.BadSignature for anything forged or altered."""
    value = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    if (
        not isinstance(value, list)
        or len(value) != 3
        or not isinstance(value[0], int)
        or value[1] not in ("email", "sms")
    ):
        raise signing.BadSignature("Malformed unsubscribe token.")
    return value[0], value[1], value[2]


def unsubscribe_url(*, member_id: int, channel: str, message_id: int | None) -> str:
    token = unsubscribe_token(member_id=member_id, channel=channel, message_id=message_id)
    return _url("campaigns:unsubscribe", token)


def open_url(*, message_id: int) -> str:
    token = signing.dumps(message_id, salt=OPEN_SALT)
    return _url("campaigns:open", token)


def open_token_read(token: str) -> int:
    value = signing.loads(token, salt=OPEN_SALT)
    if not isinstance(value, int):
        raise signing.BadSignature("Malformed open token.")
    return value


def click_url(*, message_id: int, index: int) -> str:
    token = signing.dumps([message_id, index], salt=CLICK_SALT)
    return _url("campaigns:click", token)


def click_token_read(token: str) -> tuple[int, int]:
    value = signing.loads(token, salt=CLICK_SALT)
    if not isinstance(value, list) or len(value) != 2 or not all(isinstance(v, int) for v in value):
        raise signing.BadSignature("Malformed click token.")
    return value[0], value[1]
