"""What providers report back (through the webhooks the SMS engineer's `campaigns.webhooks`
parses into neutral receipts; wired at merge): a message delivered, an address that bounced hard
(no more e-mail to it), or a reply STOP (SMS consent withdrawn). Each is idempotent, so a
replayed receipt changes nothing."""

from __future__ import annotations

import datetime

from django.utils import timezone

from campaigns.models import Bounce, Message
from members.models import ConsentEvent, ConsentPurpose, Member, normalize_email
from members.services.consent import consent_set


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


def sms_stop_record(*, phone: str) -> int:
    """A member replied STOP: withdraw SMS consent (source "unsubscribe link", the log's
    unsubscribe source) for every active member with that number; returns how many changed."""
    changed = 0
    for member in Member.objects.filter(phone=phone.strip()).exclude(status=Member.Status.ERASED):
        before = ConsentEvent.objects.filter(member=member).count()
        consent_set(
            member=member,
            purpose=ConsentPurpose.SMS_MARKETING,
            granted=False,
            source=ConsentEvent.Source.UNSUBSCRIBE,
        )
        changed += ConsentEvent.objects.filter(member=member).count() > before
    return changed
