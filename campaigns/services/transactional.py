"""Transactional SMS for other apps (core.messaging): one message per member and key, through
the campaigns outbox, so it is sent once, by a worker, with the same guarantees as a campaign.

The member must have a mobile number and SMS consent (the latest event in the consent log); the
message is written in the caller's transaction and sent after it commits. Transactional messages
are never frequency-capped and are not held back by the marketing quiet hours."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from campaigns.models import Campaign, Message
from members.models import Member
from members.selectors.consent import consent_current

TRANSACTIONAL_SMS_KEY = "transactional-sms"


def _system_campaign() -> Campaign:
    campaign, _created = Campaign.objects.get_or_create(
        key=TRANSACTIONAL_SMS_KEY,
        defaults={
            "name": str(_("Transactional SMS")),
            "purpose": Campaign.Purpose.TRANSACTIONAL,
            "channel": Campaign.Channel.SMS,
            "state": Campaign.State.SENDING,
        },
    )
    return campaign


def sms_send_transactional(*, member_id: int, text: str, key: str) -> bool:
    """Queue `text` for the member once per `key`; False (nothing queued) when the member has no
    number, no SMS consent, is not active, or the key was used before."""
    text = (text or "").strip()
    if not text or not key:
        raise ValueError("A transactional SMS needs a text and a key.")
    member = Member.objects.filter(pk=member_id, status=Member.Status.ACTIVE).first()
    if member is None or not member.phone or not consent_current(member=member)["sms"]:
        return False
    campaign = _system_campaign()
    try:
        with transaction.atomic():
            Message.objects.create(
                campaign=campaign,
                member=member,
                channel=Campaign.Channel.SMS,
                occasion_key=key[:120],
                body=text,
            )
    except IntegrityError:
        return False  # this key was sent (or queued) before
    if campaign.state != Campaign.State.SENDING:
        Campaign.objects.filter(pk=campaign.pk).update(state=Campaign.State.SENDING)
    from campaigns.services.dispatch import send_later

    transaction.on_commit(lambda: send_later(campaign.pk))
    return True
