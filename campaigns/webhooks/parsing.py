"""What the providers' webhooks say, in neutral terms, and how to tell they are genuine.

Pure functions over the form fields and headers of a request: no database, no views.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import hashlib
import hmac
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Protocol
from urllib.parse import urlsplit, urlunsplit

from django.utils import timezone

ELKS46 = "46elks"
TWILIO = "twilio"

DELIVERED = "delivered"
FAILED = "failed"
SENT = "sent"

# Replies that mean "stop sending me SMS" (the first word, case and punctuation aside): the
# carriers' English keywords and their Swedish counterparts.
STOP_WORDS = frozenset(
    {
        "STOP",
        "STOPP",
        "STOPALL",
        "UNSUBSCRIBE",
        "CANCEL",
        "END",
        "QUIT",
        "AVSLUTA",
        "AVREGISTRERA",
        "SLUTA",
    }
)


class MalformedWebhook(ValueError):
    """The request lacks what the provider always sends: answer 400."""


@dataclass(frozen=True)
class DeliveryReceipt:
    provider: str
    provider_message_id: str
    status: str  # DELIVERED, FAILED or SENT (handed to the network, no final word yet)
    event_id: str  # unique per provider: a replay carries the same one
    error: str = ""  # the provider's error code or text, for a failure
    occurred_at: datetime.datetime = field(default_factory=timezone.now)


@dataclass(frozen=True)
class InboundSms:
    provider: str
    from_number: str
    text: str
    event_id: str
    to_number: str = ""

    @property
    def is_stop(self) -> bool:
        """The member asks to stop SMS: the first word is STOP (or STOPP, AVSLUTA, …)."""
        words = self.text.strip().split()
        if not words:
            return False
        first = "".join(char for char in words[0] if char.isalnum()).upper()
        return first in STOP_WORDS


class FormData(Protocol):
    """What the parsers read of a request's form: a QueryDict, or a dict in tests."""

    def get(self, key: str, /) -> str | None: ...


def _required(form: FormData, *names: str) -> str:
    """The first of ``names`` present and non-empty; MalformedWebhook when none is."""
    for name in names:
        value = (form.get(name) or "").strip()
        if value:
            return value
    raise MalformedWebhook(f"missing field {names[0]!r}")


def _phone(value: str, name: str) -> str:
    value = value.strip()
    if not value.startswith("+") or not value[1:].isdigit() or len(value) > 16:
        raise MalformedWebhook(f"{name} is not a phone number in E.164 form")
    return value


# --- Authenticity ----------------------------------------------------------------------------


def twilio_signature(*, url: str, params: Mapping[str, Iterable[str]], token: str) -> str:
    """Twilio's X-Twilio-Signature: HMAC-SHA1, keyed by the auth token, of the full URL followed
    by every POST parameter as name + value, sorted by name (a repeated name's values sorted
    too), in base64."""
    payload = url + "".join(
        name + value for name in sorted(params) for value in sorted(params[name])
    )
    digest = hmac.new(token.encode(), payload.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode("ascii")


def _url_variants(url: str) -> list[str]:
    """The URL as we see it, and with the default port written out or left off: Twilio signs
    what it requested, and a proxy in front of us may add or drop the port."""
    parts = urlsplit(url)
    default = {"https": 443, "http": 80}.get(parts.scheme)
    variants = [url]
    if default and parts.hostname:
        host = parts.hostname if ":" not in parts.hostname else f"[{parts.hostname}]"
        if parts.port is None:
            variants.append(urlunsplit(parts._replace(netloc=f"{host}:{default}")))
        elif parts.port == default:
            variants.append(urlunsplit(parts._replace(netloc=host)))
    return variants


def twilio_signature_valid(
    *, url: str, params: Mapping[str, Iterable[str]], signature: str, token: str
) -> bool:
    """Whether ``signature`` is Twilio's for this request; compared in constant time."""
    if not token or not signature:
        return False
    return any(
        hmac.compare_digest(
            twilio_signature(url=variant, params=params, token=token).encode(),
            signature.encode("ascii", errors="replace"),
        )
        for variant in _url_variants(url)
    )


def basic_auth_valid(header: str, *, user: str, password: str) -> bool:
    """Whether an Authorization header carries exactly these Basic credentials (constant-time
    comparison; an empty configured password never matches)."""
    if not password:
        return False
    scheme, _, encoded = (header or "").partition(" ")
    if scheme.lower() != "basic" or not encoded:
        return False
    try:
        given = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return False
    given_user, sep, given_password = given.partition(":")
    user_ok = hmac.compare_digest(given_user.encode(), user.encode())
    password_ok = hmac.compare_digest(given_password.encode(), password.encode())
    return bool(sep) and user_ok and password_ok


def secret_valid(given: str, expected: str) -> bool:
    """A secret from the URL against the configured one (constant time; unset never matches)."""
    return bool(expected) and hmac.compare_digest(given.encode(), expected.encode())


# --- 46elks ----------------------------------------------------------------------------------


def _elks_time(value: str | None) -> datetime.datetime:
    """46elks writes times in UTC without a zone, e.g. 2018-07-13T13:57:23.741000."""
    if not value:
        return timezone.now()
    try:
        moment = datetime.datetime.fromisoformat(value.strip())
    except ValueError as exc:
        raise MalformedWebhook("delivered is not a time") from exc
    if timezone.is_naive(moment):
        moment = moment.replace(tzinfo=datetime.UTC)
    return moment


ELKS46_STATUSES = {"delivered": DELIVERED, "failed": FAILED, "sent": SENT}


def elks_receipt_parse(form: FormData) -> DeliveryReceipt:
    """46elks' "whendelivered" callback: id, status (sent, delivered or failed), delivered."""
    message_id = _required(form, "id")
    raw_status = _required(form, "status").lower()
    status = ELKS46_STATUSES.get(raw_status)
    if status is None:
        raise MalformedWebhook(f"unknown status {raw_status[:20]!r}")
    return DeliveryReceipt(
        provider=ELKS46,
        provider_message_id=message_id,
        status=status,
        event_id=f"{message_id}:{raw_status}",
        error="" if status != FAILED else raw_status,
        occurred_at=_elks_time(form.get("delivered")),
    )


def elks_inbound_parse(form: FormData) -> InboundSms:
    """An SMS to our 46elks number: id, from, to, message, created."""
    return InboundSms(
        provider=ELKS46,
        from_number=_phone(_required(form, "from"), "from"),
        text=form.get("message") or "",
        event_id=_required(form, "id"),
        to_number=(form.get("to") or "").strip(),
    )


# --- Twilio ----------------------------------------------------------------------------------

# Twilio's statuses that are a receipt; the others (accepted, queued, sending, scheduled) come
# before the message leaves Twilio and say nothing the sender needs.
TWILIO_STATUSES = {
    "sent": SENT,
    "delivered": DELIVERED,
    "read": DELIVERED,
    "undelivered": FAILED,
    "failed": FAILED,
    "canceled": FAILED,
}
TWILIO_INTERIM = frozenset({"accepted", "queued", "sending", "scheduled", "receiving", "received"})


def twilio_receipt_parse(form: FormData) -> DeliveryReceipt | None:
    """Twilio's StatusCallback: MessageSid, MessageStatus, ErrorCode. None for an interim status
    (queued, sending …), which is answered 200 and otherwise ignored."""
    sid = _required(form, "MessageSid", "SmsSid")
    raw_status = _required(form, "MessageStatus", "SmsStatus").lower()
    if raw_status in TWILIO_INTERIM:
        return None
    status = TWILIO_STATUSES.get(raw_status)
    if status is None:
        raise MalformedWebhook(f"unknown status {raw_status[:20]!r}")
    error = (form.get("ErrorCode") or "").strip()
    if status == FAILED and not error:
        error = raw_status
    return DeliveryReceipt(
        provider=TWILIO,
        provider_message_id=sid,
        status=status,
        event_id=f"{sid}:{raw_status}",
        error=error[:200],
        occurred_at=timezone.now(),
    )


def twilio_inbound_parse(form: FormData) -> InboundSms:
    """An SMS to our Twilio number: MessageSid, From, To, Body."""
    return InboundSms(
        provider=TWILIO,
        from_number=_phone(_required(form, "From"), "From"),
        text=form.get("Body") or "",
        event_id=_required(form, "MessageSid", "SmsSid"),
        to_number=(form.get("To") or "").strip(),
    )
