"""Staff reports: the points liability and the redemption and breakage rates per reward.

Each is a fixed number of aggregate queries, whatever the number of members or redemptions."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import ExtractMonth, ExtractYear
from django.utils import timezone

from rewards.models import PointsAccount, PointsEntry, PointsLot, Redemption, Reward


def point_value() -> Decimal:
    return Decimal(str(settings.REWARDS_POINT_VALUE_SEK))


@dataclass(frozen=True)
class ExpiryBucket:
    year: int | None  # None: never expires
    month: int | None
    points: int
    value: Decimal


@dataclass(frozen=True)
class Liability:
    points: int  # outstanding: the sum of balances
    value: Decimal
    members: int  # members holding points
    debt: int  # points members owe after returns
    buckets: list[ExpiryBucket]  # when the outstanding points expire, by month
    earned: int  # ever
    redeemed: int  # ever (net of cancellations)
    expired: int  # ever: the breakage of points
    breakage_rate: float  # expired / earned


def points_liability() -> Liability:
    """Points outstanding, their value in SEK and when they expire (four queries)."""
    value = point_value()
    accounts = PointsAccount.objects.aggregate(
        points=Sum("balance"), debt=Sum("debt"), members=Count("pk", filter=Q(balance__gt=0))
    )
    rows = (
        PointsLot.objects.filter(remaining__gt=0)
        .annotate(year=ExtractYear("expires_on"), month=ExtractMonth("expires_on"))
        .values("year", "month")
        .annotate(points=Sum("remaining"))
        .order_by("year", "month")
    )
    buckets = [
        ExpiryBucket(
            year=row["year"], month=row["month"], points=row["points"], value=row["points"] * value
        )
        for row in rows
    ]
    # Never-expiring lots sort first or last depending on the database: always last here.
    buckets.sort(key=lambda b: (b.year is None, b.year or 0, b.month or 0))
    totals = PointsEntry.objects.aggregate(
        earned=Sum("amount", filter=Q(kind=PointsEntry.Kind.EARN)),
        redeemed=Sum("amount", filter=Q(kind=PointsEntry.Kind.REDEEM)),
        expired=Sum("amount", filter=Q(kind=PointsEntry.Kind.EXPIRE)),
        returned=Sum(
            "amount",
            filter=Q(kind=PointsEntry.Kind.REVERSE, reverses__kind=PointsEntry.Kind.REDEEM),
        ),
    )
    earned = totals["earned"] or 0
    expired = -(totals["expired"] or 0)
    points = accounts["points"] or 0
    return Liability(
        points=points,
        value=points * value,
        members=accounts["members"] or 0,
        debt=accounts["debt"] or 0,
        buckets=buckets,
        earned=earned,
        redeemed=-(totals["redeemed"] or 0) - (totals["returned"] or 0),
        expired=expired,
        breakage_rate=expired / earned if earned else 0.0,
    )


def reward_rates(*, today: datetime.date | None = None) -> QuerySet[Reward]:
    """Every reward with its redemption figures (one query):

    - `redeemed`: redemptions not cancelled; `cancelled`; `fulfilled`;
    - `lapsed`: still pending after the voucher's last day (the code was never used);
    - `points_spent`: points of the redemptions not cancelled;
    - `fulfilment_rate` and `breakage_rate` (lapsed / redeemed) are computed on the objects
      by `reward_rates_list`."""
    today = today or timezone.localdate()
    active = ~Q(redemptions__status=Redemption.Status.CANCELLED)
    return Reward.objects.annotate(
        redeemed=Count("redemptions", filter=active),
        cancelled=Count("redemptions", filter=Q(redemptions__status=Redemption.Status.CANCELLED)),
        fulfilled=Count("redemptions", filter=Q(redemptions__status=Redemption.Status.FULFILLED)),
        lapsed=Count(
            "redemptions",
            filter=Q(
                redemptions__status=Redemption.Status.PENDING,
                redemptions__voucher_valid_until__lt=today,
            ),
        ),
        points_spent=Sum("redemptions__points", filter=active),
    ).order_by("-redeemed", "order", "pk")


@dataclass(frozen=True)
class RewardRate:
    reward: Reward
    redeemed: int
    cancelled: int
    fulfilled: int
    lapsed: int
    points_spent: int
    fulfilment_rate: float | None
    breakage_rate: float | None


def reward_rates_list(*, today: datetime.date | None = None) -> list[RewardRate]:
    rates = []
    for reward in reward_rates(today=today):
        redeemed = reward.redeemed  # type: ignore[attr-defined]
        rates.append(
            RewardRate(
                reward=reward,
                redeemed=redeemed,
                cancelled=reward.cancelled,  # type: ignore[attr-defined]
                fulfilled=reward.fulfilled,  # type: ignore[attr-defined]
                lapsed=reward.lapsed,  # type: ignore[attr-defined]
                points_spent=reward.points_spent or 0,  # type: ignore[attr-defined]
                fulfilment_rate=reward.fulfilled / redeemed if redeemed else None,  # type: ignore[attr-defined]
                breakage_rate=reward.lapsed / redeemed if redeemed else None,  # type: ignore[attr-defined]
            )
        )
    return rates
