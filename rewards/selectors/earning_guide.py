""" "How to earn points", read from the live rules, never written by hand: the earning rules in
force, the bonus periods running or coming for this member, the activity rules and the tiers.
A handful of queries, whatever the number of members."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import Q
from django.utils import timezone

from members.models import Member
from rewards.models import ActivityRule, BonusPeriod, EarningRule, PointsAccount, Tier
from rewards.targeting import member_in_segment

UPCOMING_DAYS = 60


@dataclass(frozen=True)
class EarningGuide:
    rules: list[EarningRule]
    bonuses: list[BonusPeriod]
    activities: list[ActivityRule]
    tiers: list[Tier]
    my_tier_id: int | None


def _in_force(now: datetime.datetime) -> Q:
    return (
        Q(is_active=True)
        & (Q(valid_from__isnull=True) | Q(valid_from__lte=now))
        & (Q(valid_until__isnull=True) | Q(valid_until__gt=now))
    )


def earning_guide(*, member: Member, now: datetime.datetime | None = None) -> EarningGuide:
    now = now or timezone.now()
    rules = list(
        EarningRule.objects.filter(_in_force(now))
        .select_related("store")
        .order_by("channel", "store__name", "id")
    )
    bonuses = [
        bonus
        for bonus in BonusPeriod.objects.filter(
            is_active=True,
            ends_at__gt=now,
            starts_at__lte=now + datetime.timedelta(days=UPCOMING_DAYS),
        )
        .select_related("store", "segment")
        .order_by("starts_at", "id")
        if bonus.segment is None or member_in_segment(member=member, segment=bonus.segment)
    ]
    # For each activity the rule in force now (the newest when several overlap), as earning does.
    activities: dict[str, ActivityRule] = {}
    for rule in ActivityRule.objects.filter(_in_force(now)).order_by("activity", "-id"):
        activities.setdefault(rule.activity, rule)
    tiers = list(Tier.objects.order_by("threshold"))
    my_tier_id = (
        PointsAccount.objects.filter(member=member).values_list("tier_id", flat=True).first()
    )
    return EarningGuide(
        rules=rules,
        bonuses=bonuses,
        activities=sorted(activities.values(), key=lambda rule: -rule.points),
        tiers=tiers,
        my_tier_id=my_tier_id,
    )
