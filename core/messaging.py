"""Transactional SMS for any app without importing campaigns (which owns the SMS backends,
consent rules and quiet hours): campaigns registers the sender from its AppConfig.ready().

`sms_send_transactional(member_id=..., text=..., key=...)` asks the registered sender to send
one SMS to the member, once per `key` (a unique string such as "events:offer:123"); it returns
False, sending nothing, when no sender is registered or the member cannot get SMS (no phone, no
consent). Call it inside the transaction that caused it: the sender writes to its outbox."""

from __future__ import annotations

from collections.abc import Callable

SmsSender = Callable[..., bool]  # (*, member_id: int, text: str, key: str) -> bool

_sender: SmsSender | None = None


def sms_sender_register(func: SmsSender | None) -> None:
    global _sender
    _sender = func


def sms_send_transactional(*, member_id: int, text: str, key: str) -> bool:
    if _sender is None:
        return False
    return _sender(member_id=member_id, text=text, key=key)
