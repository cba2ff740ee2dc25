"""Webhooks of the SMS providers: delivery receipts and inbound SMS (a member replying STOP).

The views (``views.py``, routed by ``urls.py``) check that a request really comes from the
provider (Twilio's X-Twilio-Signature; for 46elks, which signs nothing, a secret in the callback
path plus Basic auth), parse it into a neutral ``DeliveryReceipt`` or ``InboundSms``
(``parsing.py``), record its event id once (``campaigns.WebhookEvent``: a replay is answered 200
and ignored) and hand it to the handlers registered here, in the same transaction: a handler that
fails rolls the record back, so the provider's retry is processed again.

The rest of campaigns registers what a receipt or an inbound SMS means (a message delivered, a
consent withdrawn) from its AppConfig.ready():

    receipt_handler_register(func)   # func(receipt: DeliveryReceipt) -> None
    inbound_handler_register(func)   # func(sms: InboundSms) -> None; sms.is_stop for "STOP"

This module imports nothing of Django's models or views, so campaigns.models may import
``campaigns.webhooks.models`` without pulling in the views.
"""

from __future__ import annotations

from collections.abc import Callable

from campaigns.webhooks.parsing import DeliveryReceipt, InboundSms

ReceiptHandler = Callable[[DeliveryReceipt], None]
InboundHandler = Callable[[InboundSms], None]

_receipt_handlers: list[ReceiptHandler] = []
_inbound_handlers: list[InboundHandler] = []


def receipt_handler_register(func: ReceiptHandler) -> ReceiptHandler:
    """Call ``func(receipt)`` for every new delivery receipt (once per event). Returns func, so
    it can decorate."""
    if func not in _receipt_handlers:
        _receipt_handlers.append(func)
    return func


def inbound_handler_register(func: InboundHandler) -> InboundHandler:
    """Call ``func(sms)`` for every new inbound SMS (once per event)."""
    if func not in _inbound_handlers:
        _inbound_handlers.append(func)
    return func


def receipt_handlers() -> list[ReceiptHandler]:
    return list(_receipt_handlers)


def inbound_handlers() -> list[InboundHandler]:
    return list(_inbound_handlers)


__all__ = [
    "DeliveryReceipt",
    "InboundSms",
    "inbound_handler_register",
    "inbound_handlers",
    "receipt_handler_register",
    "receipt_handlers",
]
