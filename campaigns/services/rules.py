"""The sending rules, checked for every message at send time (when its batch is claimed), and
the merge context of each recipient, both read for a whole batch in one query.

A message is skipped, with its reason, when the member is erased or paused, has no address for
the channel, has no consent for the channel's marketing purpose (the latest event in the
members' consent log), has an e-mail address that bounced hard, or (marketing only) already got
CAMPAIGNS_FREQUENCY_CAP marketing messages over e-mail and SMS in the last 7 days. Transactional
messages are never capped. SMS quiet hours defer, they never skip: see `quiet_until`.
"""

from __future__ import annotations

import datetime
import zoneinfo
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models import Count, Exists, IntegerField, OuterRef, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import formats, translation

from campaigns.models import Bounce, Campaign, Message
from members.models import ConsentEvent, ConsentPurpose, Member
from rewards.models import PointsAccount, PointsLot, Reward

CONSENT_FOR_CHANNEL: dict[str, str] = {
    Campaign.Channel.EMAIL: ConsentPurpose.EMAIL_MARKETING,
    Campaign.Channel.SMS: ConsentPurpose.SMS_MARKETING,
}


def _consent_granted(purpose: str) -> Exists:
    latest = (
        ConsentEvent.objects.filter(member=OuterRef(OuterRef("member_id")), purpose=purpose)
        .order_by("-created_at", "-id")
        .values("pk")[:1]
    )
    return Exists(ConsentEvent.objects.filter(pk=Subquery(latest), granted=True))


def _recent_marketing(now: datetime.datetime) -> Subquery:
    since = now - datetime.timedelta(days=7)
    return Subquery(
        Message.objects.filter(
            member_id=OuterRef("member_id"),
            state=Message.State.SENT,
            sent_at__gte=since,
            campaign__purpose=Campaign.Purpose.MARKETING,
        )
        .order_by()
        .values("member_id")
        .annotate(n=Count("pk"))
        .values("n")[:1],
        output_field=IntegerField(),
    )


@dataclass
class Recipient:
    message: Message
    member: Member
    skip_reason: str  # "" when the message may be sent
    address: str
    context: dict[str, Any]


def _suggestion_name(language: str) -> str:
    return "name_sv" if language == "sv" else "name_en"


def _context_annotations(ref: str, now: datetime.datetime) -> dict[str, Any]:
    """Annotations for the merge context, on a query whose member id is `ref`."""
    today = now.astimezone(zoneinfo.ZoneInfo(settings.TIME_ZONE)).date()
    soon = today + datetime.timedelta(days=30)
    lots = PointsLot.objects.filter(
        member_id=OuterRef(ref),
        remaining__gt=0,
        expires_on__isnull=False,
        expires_on__gte=today,
        expires_on__lte=soon,
    ).order_by()
    account = PointsAccount.objects.filter(member_id=OuterRef(ref))
    rewards = (
        Reward.objects.available_at(now)
        .filter(tiers__isnull=True, segment__isnull=True, points_cost__lte=OuterRef("balance"))
        .order_by("-points_cost", "pk")
    )
    return {
        "balance": Coalesce(Subquery(account.values("balance")[:1]), Value(0)),
        "tier_sv": Subquery(account.values("tier__name_sv")[:1]),
        "tier_en": Subquery(account.values("tier__name_en")[:1]),
        "expiring": Coalesce(
            Subquery(
                lots.values("member_id").annotate(s=Sum("remaining")).values("s")[:1],
                output_field=IntegerField(),
            ),
            Value(0),
        ),
        "expiring_on": Subquery(lots.order_by("expires_on").values("expires_on")[:1]),
        "reward_sv": Subquery(rewards.values("name_sv")[:1]),
        "reward_en": Subquery(rewards.values("name_en")[:1]),
    }


def _context(row: Any, member: Member) -> dict[str, Any]:
    language = member.language or settings.LANGUAGE_CODE
    with translation.override(language):
        expiring_on = formats.date_format(row.expiring_on) if row.expiring_on else ""
    return {
        "first_name": member.first_name,
        "points_balance": row.balance,
        "tier": (row.tier_sv if language == "sv" else row.tier_en) or "",
        "points_expiring": row.expiring,
        "points_expiring_on": expiring_on,
        "reward_suggestion": (row.reward_sv if language == "sv" else row.reward_en) or "",
        "store": member.preferred_store.name if member.preferred_store else "",
    }


def recipients_for(
    *, ids: list[int], campaign: Campaign, now: datetime.datetime
) -> list[Recipient]:
    """The claimed messages `ids` with their member, the rule verdict and the merge context."""
    rows = (
        Message.objects.filter(pk__in=ids)
        .select_related("member", "member__preferred_store")
        .annotate(
            consent=_consent_granted(CONSENT_FOR_CHANNEL[campaign.channel]),
            recent=Coalesce(_recent_marketing(now), Value(0)),
            **_context_annotations("member_id", now),
        )
        .order_by("id")
    )
    if campaign.channel == Campaign.Channel.EMAIL:
        rows = rows.annotate(
            bounced=Exists(Bounce.objects.filter(address=OuterRef("member__email")))
        )
    cap = settings.CAMPAIGNS_FREQUENCY_CAP
    recipients = []
    for row in rows:
        member = row.member
        address = member.email if campaign.channel == Campaign.Channel.EMAIL else member.phone
        reason = ""
        if member.status == Member.Status.ERASED:
            reason = Message.SkipReason.ERASED
        elif member.status == Member.Status.PAUSED:
            reason = Message.SkipReason.PAUSED
        elif not address:
            reason = Message.SkipReason.NO_ADDRESS
        elif campaign.purpose == Campaign.Purpose.MARKETING and not row.consent:
            reason = Message.SkipReason.NO_CONSENT
        elif getattr(row, "bounced", False):
            reason = Message.SkipReason.HARD_BOUNCE
        elif campaign.purpose == Campaign.Purpose.MARKETING and row.recent >= cap:
            reason = Message.SkipReason.FREQUENCY_CAP
        recipients.append(
            Recipient(
                message=row,
                member=member,
                skip_reason=reason,
                address=address,
                context=_context(row, member),
            )
        )
    return recipients


def merge_context_for(*, member: Member, now: datetime.datetime) -> dict[str, Any]:
    """The merge context of one member (preview and test sends), as sending builds it."""
    row = (
        Member.objects.filter(pk=member.pk)
        .select_related("preferred_store")
        .annotate(**_context_annotations("pk", now))
        .get()
    )
    return _context(row, row)


def quiet_until(now: datetime.datetime) -> datetime.datetime | None:
    """When SMS quiet hours (CAMPAIGNS_SMS_QUIET_START–CAMPAIGNS_SMS_QUIET_END, Stockholm time
    by default) end, if `now` is inside them; None otherwise."""
    zone = zoneinfo.ZoneInfo(settings.CAMPAIGNS_SMS_QUIET_TIMEZONE)
    local = now.astimezone(zone)
    start, end = settings.CAMPAIGNS_SMS_QUIET_START, settings.CAMPAIGNS_SMS_QUIET_END
    if start == end:
        return None
    hour = local.hour
    quiet = (hour >= start or hour < end) if start > end else (start <= hour < end)
    if not quiet:
        return None
    day = local.date() if hour < end else local.date() + datetime.timedelta(days=1)
    return datetime.datetime.combine(day, datetime.time(end), tzinfo=zone)


__all__ = ["Recipient", "merge_context_for", "quiet_until", "recipients_for"]
