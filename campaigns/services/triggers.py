"""Triggers: automatic messages, each member once per occasion.

`triggers_run()` (every 15 minutes) asks each trigger that is on which members meet its
condition now, and writes one queued message per member and occasion; the outbox's unique key
(campaign, member, channel, occasion) makes a second run, or two at once, write nothing more.
Occasions:

- welcome series: one per step (variant), sent `delay_days` after joining (members who joined
  within the last week of the step's day, so switching a trigger on does not mail old members);
- birthday: once a year (`birthday:2026`);
- points expiring within 30 days: once per expiry day (`expiring:2026-12-31`);
- win-back after N days without a purchase: once per lapse (`winback:<date of last purchase>`);
- first purchase: once (`first_purchase`), within a week of it;
- tier upgrade: once per upgrade (`tier:<change id>`), within a week of it.

The sending rules (consent, frequency cap, quiet hours, erased/paused/bounced) apply at send
time, as for any campaign. Switching a trigger on or off is audited and needs
`campaigns.send_campaign`.
"""

from __future__ import annotations

import datetime
import zoneinfo
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Max, Min, Q
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from campaigns.models import Campaign, Message, Trigger, Variant
from campaigns.services.campaigns import _require_send
from campaigns.services.content import variant_check
from core.services import audit_log
from members.models import Member, Purchase
from rewards.models import PointsLot, TierChange

RECENT = datetime.timedelta(days=7)


@transaction.atomic
def trigger_set_enabled(
    *, trigger: Campaign, enabled: bool, actor, request: HttpRequest | None = None
) -> Campaign:
    _require_send(actor)
    trigger = Campaign.objects.select_for_update().get(pk=trigger.pk)
    if enabled:
        variants = list(trigger.variants.all())
        if not variants:
            raise ValidationError(_("Write the message before switching the trigger on."))
        for variant in variants:
            variant_check(variant=variant, channel=trigger.channel)
        if trigger.trigger == Campaign.TriggerKind.WIN_BACK and not trigger.trigger_days:
            raise ValidationError(_("Choose after how many days without a purchase."))
    trigger.state = Campaign.State.SENDING if enabled else Campaign.State.PAUSED
    if enabled and trigger.started_at is None:
        trigger.started_at = timezone.now()
    trigger.save(update_fields=["state", "started_at"])
    audit_log(
        action="trigger.on" if enabled else "trigger.off",
        actor=actor,
        target=trigger,
        request=request,
    )
    return trigger


def _today(now: datetime.datetime) -> datetime.date:
    return now.astimezone(zoneinfo.ZoneInfo(settings.TIME_ZONE)).date()


def _occasions(
    trigger: Campaign, variants: list[Variant], now: datetime.datetime
) -> Iterable[tuple[int, str, Variant]]:
    """(member id, occasion key, variant) for every member the trigger applies to now."""
    first = variants[0]
    members = Member.objects.filter(status=Member.Status.ACTIVE)
    kind = trigger.trigger
    today = _today(now)
    if kind == Campaign.TriggerKind.WELCOME:
        for step in variants:
            due = now - datetime.timedelta(days=step.delay_days)
            for pk in members.filter(joined_at__lte=due, joined_at__gt=due - RECENT).values_list(
                "pk", flat=True
            ):
                yield pk, f"welcome:{step.pk}", step
    elif kind == Campaign.TriggerKind.BIRTHDAY:
        for pk in members.filter(
            birth_date__month=today.month, birth_date__day=today.day
        ).values_list("pk", flat=True):
            yield pk, f"birthday:{today.year}", first
    elif kind == Campaign.TriggerKind.POINTS_EXPIRING:
        rows: Any = (
            PointsLot.objects.filter(
                remaining__gt=0,
                expires_on__gte=today,
                expires_on__lte=today + datetime.timedelta(days=30),
                member__status=Member.Status.ACTIVE,
            )
            .values("member_id")
            .annotate(first=Min("expires_on"))
        )
        for row in rows:
            yield row["member_id"], f"expiring:{row['first'].isoformat()}", first
    elif kind == Campaign.TriggerKind.WIN_BACK and trigger.trigger_days:
        lapsed = now - datetime.timedelta(days=trigger.trigger_days)
        rows = (
            Purchase.objects.filter(member__status=Member.Status.ACTIVE, amount__gt=0)
            .values("member_id")
            .annotate(last=Max("purchased_at"))
            .filter(last__lte=lapsed, last__gt=lapsed - RECENT)
        )
        for row in rows:
            yield row["member_id"], f"winback:{_today(row['last']).isoformat()}", first
    elif kind == Campaign.TriggerKind.FIRST_PURCHASE:
        rows = (
            Purchase.objects.filter(member__status=Member.Status.ACTIVE, amount__gt=0)
            .values("member_id")
            .annotate(first_at=Min("purchased_at"))
            .filter(first_at__gt=now - RECENT, first_at__lte=now)
        )
        for row in rows:
            yield row["member_id"], "first_purchase", first
    elif kind == Campaign.TriggerKind.TIER_UPGRADE:
        changes = TierChange.objects.filter(
            created_at__gt=now - RECENT,
            to_tier__isnull=False,
            member__status=Member.Status.ACTIVE,
        ).filter(Q(from_tier__isnull=True) | Q(to_tier__order__gt=F("from_tier__order")))
        for change in changes.values("pk", "member_id"):
            yield change["member_id"], f"tier:{change['pk']}", first


def trigger_run(*, trigger: Campaign, now: datetime.datetime | None = None) -> int:
    """Queue the trigger's messages due now; returns how many were new."""
    now = now or timezone.now()
    variants = list(trigger.variants.order_by("delay_days", "name"))
    if not variants or trigger.state != Campaign.State.SENDING:
        return 0
    rows = [
        Message(
            campaign=trigger,
            member_id=member_id,
            channel=trigger.channel,
            occasion_key=key,
            variant=variant,
            next_attempt_at=now,
            created_at=now,
        )
        for member_id, key, variant in _occasions(trigger, variants, now)
    ]
    if not rows:
        return 0
    before = Message.objects.filter(campaign=trigger).count()
    Message.objects.bulk_create(rows, batch_size=2000, ignore_conflicts=True)
    return Message.objects.filter(campaign=trigger).count() - before


def triggers_run(*, now: datetime.datetime | None = None) -> dict[str, int]:
    from campaigns.services.dispatch import send_later

    queued = {}
    for trigger in Trigger.objects.filter(state=Campaign.State.SENDING):
        queued[str(trigger.pk)] = new = trigger_run(trigger=trigger, now=now)
        if new:
            send_later(trigger.pk)
    return queued
