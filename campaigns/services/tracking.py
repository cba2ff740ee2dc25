"""What members do with a message: unsubscribe (one click, no login), open, click.

Unsubscribing withdraws the channel's marketing consent in the members' consent log, with the
source "unsubscribe link", the time and the IP address. It is idempotent: the member row is
locked first, so of two clicks at once one withdraws and the other finds it already done.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.core import signing
from django.db import transaction
from django.http import Http404
from django.utils import timezone

from campaigns.models import Message, Variant
from campaigns.services import links
from campaigns.services.rules import CONSENT_FOR_CHANNEL
from members.models import ConsentEvent, Member
from members.selectors.consent import consent_current
from members.services.consent import consent_set

DONE, ALREADY = "done", "already"


@dataclass(frozen=True)
class Unsubscribe:
    member: Member | None
    channel: str
    message_id: int | None


def unsubscribe_read(*, token: str) -> Unsubscribe:
    """What a token unsubscribes from; signing.BadSignature if it was forged or altered."""
    member_id, channel, message_id = links.unsubscribe_token_read(token)
    member = Member.objects.filter(pk=member_id).first()
    return Unsubscribe(member=member, channel=channel, message_id=message_id)


@transaction.atomic
def unsubscribe_confirm(
    *, token: str, ip_address: str | None = None, now: datetime.datetime | None = None
) -> str:
    """Withdraw the consent the token names: DONE, or ALREADY when it was withdrawn before (or the
    member is gone). signing.BadSignature for a forged or altered token, and nothing changes."""
    target = unsubscribe_read(token=token)
    member = target.member
    if member is None or member.status == Member.Status.ERASED:
        return ALREADY
    Member.objects.select_for_update().filter(pk=member.pk).values_list("pk").first()
    purpose = CONSENT_FOR_CHANNEL[target.channel]
    if not consent_current(member=member)[purpose]:
        return ALREADY
    consent_set(
        member=member,
        purpose=purpose,
        granted=False,
        source=ConsentEvent.Source.UNSUBSCRIBE,
        ip_address=ip_address,
    )
    if target.message_id is not None:
        Message.objects.filter(
            pk=target.message_id, member=member, unsubscribed_at__isnull=True
        ).update(unsubscribed_at=now or timezone.now())
    return DONE


def open_record(*, token: str, now: datetime.datetime | None = None) -> bool:
    """The open pixel was loaded: the first open counts (True when it was recorded)."""
    try:
        message_id = links.open_token_read(token)
    except signing.BadSignature:
        return False
    return bool(
        Message.objects.filter(pk=message_id, opened_at__isnull=True).update(
            opened_at=now or timezone.now()
        )
    )


def variant_links(*, variant: Variant, language: str) -> list[str]:
    """The URLs of the message's buttons in `language`, by index (as the e-mail numbered them)."""
    blocks = variant.content(language)["blocks"] or []
    return [b["url"] for b in blocks if isinstance(b, dict) and b.get("type") == "button"]


def click_record(*, token: str, now: datetime.datetime | None = None) -> str:
    """The URL a click leads to, after recording it; Http404 for a forged token or an index that
    is not a link of that message, so the redirect can only go where the message pointed."""
    try:
        message_id, index = links.click_token_read(token)
    except signing.BadSignature as error:
        raise Http404 from error
    message = Message.objects.select_related("variant").filter(pk=message_id).first()
    if message is None or message.variant is None:
        raise Http404
    urls = variant_links(variant=message.variant, language=message.language or "sv")
    if not 0 <= index < len(urls):
        raise Http404
    now = now or timezone.now()
    Message.objects.filter(pk=message.pk, clicked_at__isnull=True).update(clicked_at=now)
    Message.objects.filter(pk=message.pk, opened_at__isnull=True).update(opened_at=now)
    return urls[index]
