"""Processing one webhook event once: the record of its event id and the registered handlers run
in one transaction, so a replay finds the record and does nothing, and a handler that fails
leaves no record behind (the provider's retry is processed again)."""

from __future__ import annotations

import datetime

from django.db import IntegrityError, transaction

from campaigns.webhooks import inbound_handlers, receipt_handlers
from campaigns.webhooks.models import WebhookEvent
from campaigns.webhooks.parsing import DeliveryReceipt, InboundSms


@transaction.atomic
def webhook_event_process(*, event: DeliveryReceipt | InboundSms) -> bool:
    """Hand ``event`` to its handlers unless it was processed before. Returns False for a replay.
    Concurrent deliveries of one event wait on the unique row: one processes it, the others
    find it done."""
    kind = (
        WebhookEvent.Kind.RECEIPT
        if isinstance(event, DeliveryReceipt)
        else WebhookEvent.Kind.INBOUND
    )
    try:
        with transaction.atomic():
            WebhookEvent.objects.create(provider=event.provider, event_id=event.event_id, kind=kind)
    except IntegrityError:
        return False
    if isinstance(event, DeliveryReceipt):
        for on_receipt in receipt_handlers():
            on_receipt(event)
    else:
        for on_inbound in inbound_handlers():
            on_inbound(event)
    return True


def webhook_events_purge(*, older_than: datetime.timedelta = datetime.timedelta(days=30)) -> int:
    """Forget processed events older than ``older_than`` (providers stop retrying within a day);
    returns how many. For a periodic task."""
    deleted, _by_model = WebhookEvent.objects.older_than(older_than).delete()
    return deleted
