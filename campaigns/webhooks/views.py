"""The providers' webhook endpoints: POST only, no CSRF token (the provider has none), each
request proven genuine before anything is read from it.

Answers: 403 when the signature or credentials are wrong (or the provider is not configured),
400 when the request lacks what the provider always sends, 200 for a new event processed, a
replay (ignored) or an interim status, 503 when a handler failed (nothing was kept, so the
provider's retry is processed again). Never a 500: no exception escapes.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.http.multipartparser import MultiPartParserError
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from campaigns.webhooks.parsing import (
    ELKS46,
    TWILIO,
    DeliveryReceipt,
    FormData,
    InboundSms,
    MalformedWebhook,
    basic_auth_valid,
    elks_inbound_parse,
    elks_receipt_parse,
    secret_valid,
    twilio_inbound_parse,
    twilio_receipt_parse,
    twilio_signature_valid,
)
from campaigns.webhooks.services import webhook_event_process

logger = logging.getLogger(__name__)

# Twilio sends a reply for whatever TwiML an inbound-SMS webhook answers: an empty Response
# sends none. 46elks sends the body of the answer as a reply: an empty body sends none.
TWIML_EMPTY = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'


def _elks_authentic(request: HttpRequest, secret: str) -> bool:
    return secret_valid(secret, settings.SMS_46ELKS_WEBHOOK_SECRET) and basic_auth_valid(
        request.headers.get("Authorization", ""),
        user=settings.SMS_46ELKS_WEBHOOK_USER,
        password=settings.SMS_46ELKS_WEBHOOK_PASSWORD,
    )


def _twilio_url(request: HttpRequest) -> str:
    """The URL Twilio requested: our public address (SMS_CALLBACK_BASE_URL) and the path with
    its query, or the address this request came in on when that is unset."""
    base = settings.SMS_CALLBACK_BASE_URL.rstrip("/")
    return base + request.get_full_path() if base else request.build_absolute_uri()


def _twilio_authentic(request: HttpRequest) -> bool:
    return twilio_signature_valid(
        url=_twilio_url(request),
        params=dict(request.POST.lists()),
        signature=request.headers.get("X-Twilio-Signature", ""),
        token=settings.SMS_TWILIO_AUTH_TOKEN,
    )


def _handle(
    request: HttpRequest,
    *,
    provider: str,
    authentic: Callable[[], bool],
    parse: Callable[[FormData], DeliveryReceipt | InboundSms | None],
    ok: Callable[[], HttpResponse],
) -> HttpResponse:
    try:
        try:
            form = request.POST
        except (MultiPartParserError, UnicodeDecodeError) as exc:
            logger.warning("SMS webhook from %s unreadable: %s", provider, exc)
            return HttpResponse("Bad request", status=400, content_type="text/plain")
        if not authentic():
            logger.warning("SMS webhook from %s refused: bad signature or credentials", provider)
            return HttpResponse("Forbidden", status=403, content_type="text/plain")
        try:
            event = parse(form)
        except MalformedWebhook as exc:
            logger.warning("SMS webhook from %s malformed: %s", provider, exc)
            return HttpResponse(f"Bad request: {exc}", status=400, content_type="text/plain")
        if event is not None and not webhook_event_process(event=event):
            logger.info("SMS webhook from %s replayed: %s ignored", provider, event.event_id)
        return ok()
    except Exception:
        logger.exception("SMS webhook from %s failed; the provider may retry it", provider)
        return HttpResponse("Try again later", status=503, content_type="text/plain")


def _empty() -> HttpResponse:
    return HttpResponse(b"", status=200, content_type="text/plain")


def _twiml() -> HttpResponse:
    return HttpResponse(TWIML_EMPTY, status=200, content_type="text/xml")


@csrf_exempt
@require_POST
def elks_receipt(request: HttpRequest, secret: str) -> HttpResponse:
    return _handle(
        request,
        provider=ELKS46,
        authentic=lambda: _elks_authentic(request, secret),
        parse=elks_receipt_parse,
        ok=_empty,
    )


@csrf_exempt
@require_POST
def elks_inbound(request: HttpRequest, secret: str) -> HttpResponse:
    return _handle(
        request,
        provider=ELKS46,
        authentic=lambda: _elks_authentic(request, secret),
        parse=elks_inbound_parse,
        ok=_empty,
    )


@csrf_exempt
@require_POST
def twilio_receipt(request: HttpRequest) -> HttpResponse:
    return _handle(
        request,
        provider=TWILIO,
        authentic=lambda: _twilio_authentic(request),
        parse=twilio_receipt_parse,
        ok=_empty,
    )


@csrf_exempt
@require_POST
def twilio_inbound(request: HttpRequest) -> HttpResponse:
    return _handle(
        request,
        provider=TWILIO,
        authentic=lambda: _twilio_authentic(request),
        parse=twilio_inbound_parse,
        ok=_twiml,
    )
