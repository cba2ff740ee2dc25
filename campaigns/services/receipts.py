"""What providers report back (through the webhooks the SMS engineer's `campaigns.webhooks`
parses into neutral receipts; wired at merge): a message delivered, or an address that bounced
hard (no more e-mail to it). Both are idempotent, so a replayed receipt changes nothing."""

from __future__ import annotations

import datetime

from django.utils import timezone

from campaigns.models import Bounce, Message
from members.models import normalize_email


def message_delivered(*, provider_id: str, at: datetime.datetime | None = None) -> bool:
    """Record the first delivery receipt of the message the provider knows as `provider_id`."""
    if not provider_id:
        return False
    return bool(
        Message.objects.filter(provider_id=provider_id, delivered_at__isnull=True).update(
            delivered_at=at or timezone.now()
        )
    )


def bounce_record(*, address: str, reason: str = "") -> bool:
    """A hard bounce: the address gets no more campaign e-mail (the rules skip it, reason
    "hard_bounce"). True when the address was new."""
    address = normalize_email(address)
    if not address:
        return False
    _bounce, created = Bounce.objects.get_or_create(
        address=address, defaults={"reason": (reason or "")[:300]}
    )
    return created
