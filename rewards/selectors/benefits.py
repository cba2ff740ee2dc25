"""Reads for benefit choice: the period, how many picks a member's tier grants, the menu they
may pick from and what they chose."""

from __future__ import annotations

import datetime

from django.db.models import QuerySet

from members.models import Member
from rewards.models import (
    Benefit,
    BenefitChoice,
    BenefitPeriod,
    PointsAccount,
    Tier,
    TierBenefitAllowance,
    benefit_period,
)

__all__ = ["BenefitPeriod", "benefit_period"]


def benefit_picks_for_tier(*, tier: Tier | None) -> int:
    return TierBenefitAllowance.picks_for(tier)


def member_tier(*, member: Member) -> Tier | None:
    account = PointsAccount.objects.select_related("tier").filter(member=member).first()
    return account.tier if account else None


def benefit_list_for_tier(*, tier: Tier | None) -> QuerySet[Benefit]:
    """Active benefits members of `tier` may pick (those with no tiers are open to every tier)."""
    return Benefit.objects.for_tier(tier).order_by("order", "id")


def benefit_choices_current(
    *, member: Member, today: datetime.date | None = None
) -> QuerySet[BenefitChoice]:
    """The member's choices for the current period."""
    period = benefit_period(today=today)
    return (
        BenefitChoice.objects.filter(member=member, period_start=period.start)
        .select_related("benefit")
        .order_by("benefit__order", "benefit_id")
    )


def benefit_choice_periods() -> list[datetime.date]:
    """Every period start with choices, newest first (for the staff filter)."""
    return list(
        BenefitChoice.objects.order_by("-period_start")
        .values_list("period_start", flat=True)
        .distinct()
    )
