"""SMS backends, shaped like Django's e-mail backends: SMS_BACKEND names the class.

FileSmsBackend writes each message to a file (the embedded default), LocMemSmsBackend keeps them
in `campaigns.sms.outbox` (tests), ConsoleSmsBackend prints them. Elks46SmsBackend and
TwilioSmsBackend send over HTTP to the providers' APIs.

The provider backends:
- send one message per request (``send_message``), over a connection pool kept per process and
  provider (urllib3: keep-alive, so a batch costs one TLS handshake), with the time-outs
  SMS_HTTP_CONNECT_TIMEOUT / SMS_HTTP_READ_TIMEOUT and never an automatic retry (a retried POST
  could send an SMS twice; the sender decides);
- wait for a token of their rate limit first (SMS_46ELKS_RATE / SMS_TWILIO_RATE messages per
  second): a token bucket in Redis when REDIS_URL is set, so every worker process on every machine
  shares it, else in the process;
- answer a refusal with an exception the sender can act on: ``SmsTransientError`` (time-outs,
  connection errors, 429, 5xx: try again later, after ``retry_after`` seconds when the provider
  said so) or ``SmsPermanentError`` (an invalid or opted-out number, any other 4xx: record the
  reason, never retry), with ``SmsConfigurationError`` (bad credentials, no credit) a permanent
  error that will refuse every message until staff fix the account, so a campaign should pause.
  ``maybe_sent`` is True when the request may have reached the provider (a read time-out, a
  connection dropped after sending, a gateway time-out, an unreadable 2xx answer): the SMS may
  have gone out, so the message is "in doubt", not safe to resend silently. ``error.outcome``
  says it in one word: "in_doubt", "retry", "pause" or "failed";
- refuse a text over SMS_MAX_PARTS before sending (a permanent error, code "too_long");
- ask for delivery receipts at the webhooks in ``campaigns.webhooks`` when SMS_CALLBACK_BASE_URL
  names the public address of Lojal.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import sys
import threading
import time
import uuid
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

import redis
import urllib3
from django.conf import settings
from django.urls import NoReverseMatch, reverse
from django.utils.functional import Promise
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _
from urllib3.exceptions import ConnectTimeoutError, HTTPError, NewConnectionError, ReadTimeoutError

from campaigns.smscount import sms_count

logger = logging.getLogger(__name__)


@dataclass
class SmsMessage:
    to: str  # E.164, e.g. +46701234567
    body: str
    sender: str = ""
    reference: str = field(default_factory=lambda: uuid.uuid4().hex)
    # Set by a provider backend once the provider accepted the message: its id (receipts name
    # it) and the status it answered with.
    provider_message_id: str = ""
    provider_status: str = ""

    def __post_init__(self) -> None:
        to = self.to or ""
        if not to.startswith("+") or not (to[1:].isascii() and to[1:].isdigit()):
            raise ValueError(
                f"An SMS needs a phone number in E.164 form (+46...), not {self.to!r}."
            )
        if not self.body:
            raise ValueError("An SMS needs a body.")
        self.sender = self.sender or settings.SMS_SENDER

    @property
    def provider_id(self) -> str:
        """The provider's id of the sent message (the name the outbox's column uses)."""
        return self.provider_message_id


@dataclass(frozen=True)
class SmsSent:
    """A provider accepted a message: its id there (delivery receipts name it), and its status."""

    provider: str
    provider_message_id: str
    status: str
    parts: int | None = None


# --- Errors ----------------------------------------------------------------------------------


class SmsError(Exception):
    """Sending failed. ``provider`` and ``code`` (the provider's error code, or the HTTP status)
    say who refused and why; ``message`` is the provider's text, or ours (translated); never a
    password. ``str(error)`` is what to record as the reason."""

    retryable = False

    def __init__(
        self,
        message: str | Promise,
        *,
        provider: str = "",
        code: str = "",
        http_status: int | None = None,
        maybe_sent: bool = False,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.provider = provider
        self.code = code
        self.http_status = http_status
        self.maybe_sent = maybe_sent
        self.retry_after = retry_after

    @property
    def outcome(self) -> str:
        """What the sender does with the message, in one word: "in_doubt" (it may have gone
        out: never resend silently), "retry" (later, with back-off), "pause" (every message will
        fail until the account is fixed) or "failed" (this message, for good)."""
        if self.maybe_sent:
            return "in_doubt"
        if self.retryable:
            return "retry"
        if isinstance(self, SmsConfigurationError):
            return "pause"
        return "failed"

    def __str__(self) -> str:
        where = f"{self.provider}: " if self.provider else ""
        code = f" [{self.code}]" if self.code else ""
        return f"{where}{self.message}{code}"


class SmsTransientError(SmsError):
    """Try again later: a time-out, a connection error, rate limiting (429) or a server error."""

    retryable = True


class SmsRateLimited(SmsTransientError):
    """The provider (429) or our own rate limit refused; ``retry_after`` seconds, if known."""


class SmsTimeout(SmsTransientError):
    """No answer in time. After the request was sent (``maybe_sent``) the SMS may be on its way."""


class SmsPermanentError(SmsError):
    """The provider refused this message for good (any 4xx but 429): record it, never retry."""


class SmsInvalidNumber(SmsPermanentError):
    """The recipient's number is not a valid (mobile) number."""


class SmsRecipientOptedOut(SmsPermanentError):
    """The recipient told the provider to stop (Twilio 21610: they replied STOP to our number)."""


class SmsConfigurationError(SmsPermanentError):
    """The provider refuses every message until the account is fixed (credentials, credit,
    sender id): pause sending rather than fail each message."""


# --- Rate limits -----------------------------------------------------------------------------


class LocalTokenBucket:
    """A token bucket in this process: ``rate`` tokens a second, at most ``capacity`` saved up.
    ``take()`` takes a token and returns 0, or takes none and returns the seconds until one is
    due. Thread-safe. ``clock`` (seconds, monotonic) is injectable for tests."""

    def __init__(
        self, *, rate: float, capacity: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        if rate <= 0 or capacity < 1:
            raise ValueError("A token bucket needs rate > 0 and capacity >= 1.")
        self.rate = rate
        self.capacity = capacity
        self.clock = clock
        self._tokens = capacity
        self._updated: float | None = None
        self._lock = threading.Lock()

    def take(self) -> float:
        with self._lock:
            now = self.clock()
            if self._updated is None:
                self._updated = now
            elif now > self._updated:
                self._tokens = min(self.capacity, self._tokens + (now - self._updated) * self.rate)
                self._updated = now
            if self._tokens >= 1:
                self._tokens -= 1
                return 0.0
            return (1 - self._tokens) / self.rate


# KEYS[1]: the bucket; ARGV: rate, capacity, now (seconds; empty: the Redis server's clock, the
# one clock every worker on every machine shares). Returns the wait as a string ("0": taken).
_REDIS_TAKE = """
local rate = tonumber(ARGV[1])
local capacity = tonumber(ARGV[2])
local now = tonumber(ARGV[3])
if now == nil then
  local t = redis.call('TIME')
  now = tonumber(t[1]) + tonumber(t[2]) / 1000000
end
local state = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(state[1])
local ts = tonumber(state[2])
if tokens == nil or ts == nil then
  tokens = capacity
  ts = now
end
if now > ts then
  tokens = math.min(capacity, tokens + (now - ts) * rate)
  ts = now
end
local wait = 0
if tokens >= 1 then
  tokens = tokens - 1
else
  wait = (1 - tokens) / rate
end
redis.call('HSET', KEYS[1], 'tokens', string.format('%.6f', tokens),
  'ts', string.format('%.6f', ts))
redis.call('PEXPIRE', KEYS[1], math.ceil(capacity / rate * 1000) + 60000)
return string.format('%.6f', wait)
"""


class RedisTokenBucket:
    """The same bucket kept in Redis, taken atomically by a Lua script: every process and
    machine sending through one provider account shares it. ``clock`` (seconds) is for tests;
    by default the Redis server's clock is used, so the workers' clocks need not agree."""

    def __init__(
        self,
        *,
        client: Any,
        key: str,
        rate: float,
        capacity: float,
        clock: Callable[[], float] | None = None,
    ) -> None:
        if rate <= 0 or capacity < 1:
            raise ValueError("A token bucket needs rate > 0 and capacity >= 1.")
        self.client = client
        self.key = key
        self.rate = rate
        self.capacity = capacity
        self.clock = clock
        self.fallback: LocalTokenBucket | None = None
        self._script = client.register_script(_REDIS_TAKE)

    def take(self) -> float:
        """Take a token (0) or say how long until one is due. While Redis cannot be reached,
        this process's own bucket decides (each process then keeps the rate on its own, and a
        provider's 429 is the backstop): sending SMS does not stop because the limiter did."""
        now = "" if self.clock is None else repr(self.clock())
        try:
            result = self._script(keys=[self.key], args=[self.rate, self.capacity, now])
        except redis.RedisError as exc:
            if self.fallback is None:
                self.fallback = LocalTokenBucket(
                    rate=self.rate, capacity=self.capacity, clock=self.clock or time.monotonic
                )
            logger.warning("SMS rate limit in this process only: Redis failed (%s)", exc)
            return self.fallback.take()
        return float(result.decode() if isinstance(result, bytes) else result)


_local_buckets: dict[tuple, LocalTokenBucket] = {}
_redis_clients: dict[tuple[int, str], Any] = {}
_registry_lock = threading.Lock()


def sms_rate_limiter(*, name: str, rate: float) -> LocalTokenBucket | RedisTokenBucket | None:
    """The shared bucket for ``name`` (a provider account) at ``rate`` messages a second, with up
    to one second's worth saved up; None when ``rate`` is 0 (no limit)."""
    if not rate or rate <= 0:
        return None
    capacity = max(1.0, float(rate))
    if settings.REDIS_URL:
        with _registry_lock:
            client_key = (os.getpid(), settings.REDIS_URL)
            client = _redis_clients.get(client_key)
            if client is None:
                client = _redis_clients[client_key] = redis.Redis.from_url(settings.REDIS_URL)
        return RedisTokenBucket(
            client=client, key=f"lojal:sms:rate:{name}", rate=rate, capacity=capacity
        )
    with _registry_lock:
        key = (name, rate)
        bucket = _local_buckets.get(key)
        if bucket is None:
            bucket = _local_buckets[key] = LocalTokenBucket(rate=rate, capacity=capacity)
        return bucket


# --- Backends --------------------------------------------------------------------------------


class BaseSmsBackend(ABC):
    provider = "local"

    @abstractmethod
    def send_messages(self, messages: list[SmsMessage]) -> int:
        """Send the messages; return how many were sent."""

    def send_message(self, message: SmsMessage) -> SmsSent:
        """Send one message and say how the provider took it (raises SmsError on refusal)."""
        self.send_messages([message])
        message.provider_message_id = message.provider_message_id or message.reference
        message.provider_status = message.provider_status or "sent"
        return SmsSent(
            provider=self.provider,
            provider_message_id=message.provider_message_id,
            status=message.provider_status,
        )


# What a file holds: the message as written, not the provider fields (no provider is involved).
FILE_FIELDS = ("to", "body", "sender", "reference")


class FileSmsBackend(BaseSmsBackend):
    provider = "file"

    def __init__(self, path: str | Path | None = None) -> None:
        self.path = Path(path or settings.SMS_FILE_PATH)

    def send_messages(self, messages: list[SmsMessage]) -> int:
        self.path.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
        for message in messages:
            target = self.path / f"{stamp}-{message.reference}.json"
            record = {name: getattr(message, name) for name in FILE_FIELDS}
            target.write_text(json.dumps(record, ensure_ascii=False, indent=2))
        return len(messages)


outbox: list[SmsMessage] = []
_outbox_lock = threading.Lock()


class LocMemSmsBackend(BaseSmsBackend):
    provider = "locmem"

    def send_messages(self, messages: list[SmsMessage]) -> int:
        with _outbox_lock:
            outbox.extend(messages)
        return len(messages)


class ConsoleSmsBackend(BaseSmsBackend):
    provider = "console"

    def send_messages(self, messages: list[SmsMessage]) -> int:
        for message in messages:
            sys.stdout.write(f"SMS from {message.sender} to {message.to}: {message.body}\n")
        return len(messages)


_pools: dict[tuple, Any] = {}


def _pool_for(origin: str) -> Any:
    """One urllib3 pool per process and provider origin, reused by every backend instance (a
    forked worker builds its own: sockets are never shared across a fork)."""
    key = (os.getpid(), origin, settings.SMS_HTTP_POOL_SIZE)
    with _registry_lock:
        pool = _pools.get(key)
        if pool is None:
            pool = _pools[key] = urllib3.PoolManager(
                num_pools=4, maxsize=settings.SMS_HTTP_POOL_SIZE, block=False, retries=False
            )
        return pool


def sms_http_pools_close() -> None:
    """Close this process's kept-alive provider connections (at shutdown, or in tests)."""
    with _registry_lock:
        pools = list(_pools.values())
        _pools.clear()
    for pool in pools:
        pool.clear()


@dataclass(frozen=True)
class _Answer:
    status: int
    data: Any  # the parsed JSON, or the text when the body is not JSON
    headers: dict[str, str]


class HttpSmsBackend(BaseSmsBackend):
    """A provider over HTTP: subclasses say where to POST what, and how to read the answer."""

    provider = ""
    api_url_setting = ""
    rate_setting = ""

    def __init__(
        self,
        *,
        api_url: str | None = None,
        connect_timeout: float | None = None,
        read_timeout: float | None = None,
        rate: float | None = None,
        rate_limit_max_wait: float | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.api_url = (api_url or getattr(settings, self.api_url_setting)).rstrip("/")
        self.connect_timeout = (
            settings.SMS_HTTP_CONNECT_TIMEOUT if connect_timeout is None else connect_timeout
        )
        self.read_timeout = settings.SMS_HTTP_READ_TIMEOUT if read_timeout is None else read_timeout
        self.rate = getattr(settings, self.rate_setting) if rate is None else rate
        self.rate_limit_max_wait = (
            settings.SMS_RATE_LIMIT_MAX_WAIT if rate_limit_max_wait is None else rate_limit_max_wait
        )
        self.sleep = sleep
        self.bucket = sms_rate_limiter(name=self.rate_limit_name(), rate=self.rate)

    def rate_limit_name(self) -> str:
        return self.provider

    # What a subclass provides.
    def auth(self) -> tuple[str, str]:
        raise NotImplementedError

    def request_for(self, message: SmsMessage) -> tuple[str, dict[str, str]]:
        """The path under api_url and the form fields for ``message``."""
        raise NotImplementedError

    def sent_from(self, answer: _Answer) -> SmsSent:
        raise NotImplementedError

    def error_from(self, answer: _Answer) -> SmsError:
        raise NotImplementedError

    # The sending.
    def send_messages(self, messages: list[SmsMessage]) -> int:
        """Send each message in turn; the first refusal raises (the messages before it carry
        their provider_message_id: they were sent)."""
        for message in messages:
            self.send_message(message)
        return len(messages)

    def send_message(self, message: SmsMessage) -> SmsSent:
        parts = sms_count(message.body).parts
        if parts > settings.SMS_MAX_PARTS:  # merge fields can lengthen a text that passed the form
            raise SmsPermanentError(
                _("The text needs %(parts)d SMS parts; at most %(max)d are allowed.")
                % {"parts": parts, "max": settings.SMS_MAX_PARTS},
                provider=self.provider,
                code="too_long",
            )
        credentials = self.auth()
        path, fields = self.request_for(message)
        self._wait_for_rate_limit()
        answer = self._post(path, fields, credentials)
        if 200 <= answer.status < 300:
            sent = self.sent_from(answer)
            message.provider_message_id = sent.provider_message_id
            message.provider_status = sent.status
            return sent
        raise self.error_from(answer)

    def _wait_for_rate_limit(self) -> None:
        if self.bucket is None:
            return
        waited = 0.0
        for _attempt in range(1000):  # bounded, as is the time waited (rate_limit_max_wait)
            wait = self.bucket.take()
            if wait <= 0:
                return
            if waited + wait > self.rate_limit_max_wait:
                raise SmsRateLimited(
                    _("Our rate limit for this provider allows no message now."),
                    provider=self.provider,
                    code="rate_limit",
                    retry_after=wait,
                )
            self.sleep(wait)
            waited += wait
        raise SmsRateLimited(
            _("Our rate limit for this provider allows no message now."),
            provider=self.provider,
            code="rate_limit",
        )

    def _post(self, path: str, fields: dict[str, str], credentials: tuple[str, str]) -> _Answer:
        url = f"{self.api_url}{path}"
        user, password = credentials
        token = base64.b64encode(f"{user}:{password}".encode()).decode("ascii")
        parts = urlsplit(url)
        try:
            response = _pool_for(f"{parts.scheme}://{parts.netloc}").request(
                "POST",
                url,
                fields=fields,
                encode_multipart=False,
                headers={"Authorization": f"Basic {token}", "Accept": "application/json"},
                timeout=urllib3.Timeout(connect=self.connect_timeout, read=self.read_timeout),
                retries=False,
                redirect=False,
            )
        except NewConnectionError as exc:
            raise SmsTransientError(
                _("Could not connect (%(error)s).") % {"error": exc.__class__.__name__},
                provider=self.provider,
            ) from exc
        except ConnectTimeoutError as exc:
            raise SmsTimeout(_("Timed out connecting."), provider=self.provider) from exc
        except ReadTimeoutError as exc:
            raise SmsTimeout(
                _("Timed out waiting for the answer; the SMS may have been sent."),
                provider=self.provider,
                maybe_sent=True,
            ) from exc
        except (HTTPError, OSError) as exc:
            raise SmsTransientError(
                _(
                    "The connection failed during the request (%(error)s); "
                    "the SMS may have been sent."
                )
                % {"error": exc.__class__.__name__},
                provider=self.provider,
                maybe_sent=True,
            ) from exc
        text = response.data.decode("utf-8", errors="replace")
        try:
            data: Any = json.loads(text) if text.strip() else {}
        except ValueError:
            data = text
        return _Answer(
            status=response.status,
            data=data,
            headers={key.lower(): value for key, value in response.headers.items()},
        )

    def _common_error(self, answer: _Answer, message: str, code: str = "") -> SmsError | None:
        """The classification shared by the providers: 429, 5xx, 401/403."""
        code = code or str(answer.status)
        kwargs: dict[str, Any] = {
            "provider": self.provider,
            "code": code,
            "http_status": answer.status,
        }
        if answer.status == 429:
            return SmsRateLimited(
                message or _("Too many requests."),
                retry_after=_retry_after(answer.headers.get("retry-after")),
                **kwargs,
            )
        if answer.status >= 500:
            return SmsTransientError(
                message or _("The provider had a server error."),
                maybe_sent=answer.status == 504,
                retry_after=_retry_after(answer.headers.get("retry-after")),
                **kwargs,
            )
        if answer.status in (401, 403):
            return SmsConfigurationError(
                message or _("The provider refused our credentials."), **kwargs
            )
        if answer.status == 404:
            return SmsConfigurationError(
                message or _("The provider does not know this API address or account."),
                **kwargs,
            )
        return None

    def callback_url(self, view_name: str, **kwargs: str) -> str:
        """The public URL of one of our webhooks, or "" when SMS_CALLBACK_BASE_URL is unset or
        the webhooks are not routed."""
        base = settings.SMS_CALLBACK_BASE_URL.rstrip("/")
        if not base:
            return ""
        # Mounted by config/urls.py (namespace sms_webhooks), or inside campaigns' own URLs.
        for namespace in ("sms_webhooks", "campaigns:sms_webhooks"):
            try:
                return base + reverse(f"{namespace}:{view_name}", kwargs=kwargs or None)
            except NoReverseMatch:
                continue
        logger.warning("SMS webhooks are not routed: no delivery receipts are requested.")
        return ""


def _retry_after(value: str | None) -> float | None:
    try:
        return max(0.0, float(value)) if value else None
    except ValueError:
        return None  # an HTTP date: no hint we rely on


class Elks46SmsBackend(HttpSmsBackend):
    """46elks: POST {SMS_46ELKS_API_URL}/sms with Basic auth (API username and password) and
    the form fields from, to, message and whendelivered (the receipt webhook, carrying our
    secret in its path and the Basic-auth credentials 46elks sends back)."""

    provider = "46elks"
    api_url_setting = "SMS_46ELKS_API_URL"
    rate_setting = "SMS_46ELKS_RATE"

    def auth(self) -> tuple[str, str]:
        if not settings.SMS_46ELKS_USERNAME or not settings.SMS_46ELKS_PASSWORD:
            raise SmsConfigurationError(
                _("%(settings)s are not set.")
                % {"settings": "SMS_46ELKS_USERNAME, SMS_46ELKS_PASSWORD"},
                provider=self.provider,
            )
        return settings.SMS_46ELKS_USERNAME, settings.SMS_46ELKS_PASSWORD

    def request_for(self, message: SmsMessage) -> tuple[str, dict[str, str]]:
        fields = {"from": message.sender, "to": message.to, "message": message.body}
        receipt_url = self.receipt_url()
        if receipt_url:
            fields["whendelivered"] = receipt_url
        return "/sms", fields

    def receipt_url(self) -> str:
        secret = settings.SMS_46ELKS_WEBHOOK_SECRET
        password = settings.SMS_46ELKS_WEBHOOK_PASSWORD
        if not secret or not password:
            return ""
        url = self.callback_url("elks_receipt", secret=secret)
        if not url:
            return ""
        # 46elks signs nothing; it sends back the credentials written into the URL.
        parts = urlsplit(url)
        user = quote(settings.SMS_46ELKS_WEBHOOK_USER, safe="")
        netloc = f"{user}:{quote(password, safe='')}@{parts.netloc}"
        return urlunsplit(parts._replace(netloc=netloc))

    def sent_from(self, answer: _Answer) -> SmsSent:
        data = answer.data
        if not isinstance(data, dict) or not data.get("id"):
            raise SmsTransientError(
                _(
                    "The provider accepted the request but its answer names no message id; "
                    "the SMS may have been sent."
                ),
                provider=self.provider,
                http_status=answer.status,
                maybe_sent=True,
            )
        parts = data.get("parts")
        return SmsSent(
            provider=self.provider,
            provider_message_id=str(data["id"]),
            status=str(data.get("status") or "created"),
            parts=parts if isinstance(parts, int) else None,
        )

    def error_from(self, answer: _Answer) -> SmsError:
        text = answer.data if isinstance(answer.data, str) else json.dumps(answer.data)
        text = text.strip()[:300]
        common = self._common_error(answer, text)
        if common is not None:
            return common
        lowered = text.lower()
        kwargs: dict[str, Any] = {
            "provider": self.provider,
            "code": str(answer.status),
            "http_status": answer.status,
        }
        if answer.status == 402 or "credit" in lowered:
            return SmsConfigurationError(text or _("The provider account has no credit."), **kwargs)
        if "'from'" in lowered or "sender" in lowered:
            return SmsConfigurationError(text or _("The provider refused our sender id."), **kwargs)
        if any(word in lowered for word in ("'to'", "to number", "recipient", "phone number")):
            return SmsInvalidNumber(text or _("Invalid recipient number."), **kwargs)
        return SmsPermanentError(
            text
            or _("The provider refused the message (HTTP %(status)s).") % {"status": answer.status},
            **kwargs,
        )


# Twilio error codes (https://www.twilio.com/docs/api/errors) that say what to do.
TWILIO_INVALID_NUMBER = {"21211", "21214", "21217", "21401", "21407", "21612", "21614"}
TWILIO_OPTED_OUT = {"21610"}
TWILIO_CONFIGURATION = {"20003", "20005", "20008", "21212", "21408", "21606", "21659", "21660"}
TWILIO_RATE_LIMITED = {"20429", "14107"}


class TwilioSmsBackend(HttpSmsBackend):
    """Twilio: POST {SMS_TWILIO_API_URL}/2010-04-01/Accounts/{sid}/Messages.json with Basic auth
    (account SID and auth token) and the form fields From (or MessagingServiceSid), To, Body and
    StatusCallback (the receipt webhook, whose requests Twilio signs with the auth token)."""

    provider = "twilio"
    api_url_setting = "SMS_TWILIO_API_URL"
    rate_setting = "SMS_TWILIO_RATE"

    def auth(self) -> tuple[str, str]:
        if not settings.SMS_TWILIO_ACCOUNT_SID or not settings.SMS_TWILIO_AUTH_TOKEN:
            raise SmsConfigurationError(
                _("%(settings)s are not set.")
                % {"settings": "SMS_TWILIO_ACCOUNT_SID, SMS_TWILIO_AUTH_TOKEN"},
                provider=self.provider,
            )
        return settings.SMS_TWILIO_ACCOUNT_SID, settings.SMS_TWILIO_AUTH_TOKEN

    def request_for(self, message: SmsMessage) -> tuple[str, dict[str, str]]:
        sid = quote(settings.SMS_TWILIO_ACCOUNT_SID, safe="")
        fields = {"To": message.to, "Body": message.body}
        if settings.SMS_TWILIO_MESSAGING_SERVICE_SID:
            fields["MessagingServiceSid"] = settings.SMS_TWILIO_MESSAGING_SERVICE_SID
        else:
            fields["From"] = message.sender
        callback = self.callback_url("twilio_receipt")
        if callback:
            fields["StatusCallback"] = callback
        return f"/2010-04-01/Accounts/{sid}/Messages.json", fields

    def sent_from(self, answer: _Answer) -> SmsSent:
        data = answer.data
        if not isinstance(data, dict) or not data.get("sid"):
            raise SmsTransientError(
                _(
                    "The provider accepted the request but its answer names no message id; "
                    "the SMS may have been sent."
                ),
                provider=self.provider,
                http_status=answer.status,
                maybe_sent=True,
            )
        try:
            parts = int(str(data.get("num_segments")))
        except (TypeError, ValueError):
            parts = None
        return SmsSent(
            provider=self.provider,
            provider_message_id=str(data["sid"]),
            status=str(data.get("status") or "queued"),
            parts=parts,
        )

    def error_from(self, answer: _Answer) -> SmsError:
        data = answer.data if isinstance(answer.data, dict) else {}
        code = str(data.get("code") or "")
        message = str(data.get("message") or (answer.data if isinstance(answer.data, str) else ""))
        message = message.strip()[:300]
        kwargs: dict[str, Any] = {
            "provider": self.provider,
            "code": code or str(answer.status),
            "http_status": answer.status,
        }
        if code in TWILIO_RATE_LIMITED:
            return SmsRateLimited(
                message or _("Too many requests."),
                retry_after=_retry_after(answer.headers.get("retry-after")),
                **kwargs,
            )
        common = self._common_error(answer, message, code)
        if common is not None:
            return common
        if code in TWILIO_OPTED_OUT:
            return SmsRecipientOptedOut(message or _("The recipient has opted out."), **kwargs)
        if code in TWILIO_INVALID_NUMBER:
            return SmsInvalidNumber(message or _("Invalid recipient number."), **kwargs)
        if code in TWILIO_CONFIGURATION:
            return SmsConfigurationError(
                message or _("The provider refused our account setup."), **kwargs
            )
        return SmsPermanentError(
            message
            or _("The provider refused the message (HTTP %(status)s).") % {"status": answer.status},
            **kwargs,
        )


def get_sms_backend(path: str | None = None) -> BaseSmsBackend:
    return import_string(path or settings.SMS_BACKEND)()


def send_sms(*, to: str, body: str, sender: str = "") -> int:
    return get_sms_backend().send_messages([SmsMessage(to=to, body=body, sender=sender)])
