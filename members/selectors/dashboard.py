"""The figures behind the members' dashboard tiles (core.dashboard): each a few aggregate queries
over indexed columns (joined_at, purchased_at, the scores table), whatever the club's size."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Avg, Count, DateField, Q, Sum
from django.db.models.functions import TruncWeek

from members.models import Member, MemberScore, Purchase

ACTIVE_DAYS = 90
HIGH_CHURN_RISK = Decimal("0.7")


@dataclass(frozen=True)
class MemberFigures:
    total: int
    new: int
    active: int  # with a purchase in the last ACTIVE_DAYS days
    new_per_week: list[Any]  # {"week": date, "total": n}


def dashboard_member_figures(*, start: datetime.datetime, end: datetime.datetime) -> MemberFigures:
    """Members: all (not erased), joined in the period, active in the last 90 days (4 queries)."""
    total = Member.objects.not_erased().count()
    joined = Member.objects.not_erased().filter(joined_at__gte=start, joined_at__lte=end)
    active = (
        Purchase.objects.filter(
            purchased_at__gt=end - datetime.timedelta(days=ACTIVE_DAYS),
            purchased_at__lte=end,
            original__isnull=True,
        )
        .values("member_id")
        .distinct()
        .count()
    )
    weeks = list(
        joined.annotate(week=TruncWeek("joined_at", output_field=DateField()))
        .values("week")
        .annotate(total=Count("id"))
        .order_by("week")
    )
    return MemberFigures(
        total=total, new=sum(row["total"] for row in weeks), active=active, new_per_week=weeks
    )


@dataclass(frozen=True)
class RetentionFigures:
    buyers_before: int  # members who bought in the period before this one
    retained: int  # of those, members who bought again in this period
    high_churn_risk: int  # members with purchases whose churn risk is at least HIGH_CHURN_RISK
    average_churn_risk: Decimal | None

    @property
    def retention_rate(self) -> float | None:
        return self.retained / self.buyers_before if self.buyers_before else None


def dashboard_retention(*, start: datetime.datetime, end: datetime.datetime) -> RetentionFigures:
    """Repeat buyers from the previous period of the same length, and the churn-risk scores
    (2 queries: one semi-join over purchases, one aggregate over the scores)."""
    length = end - start
    # One pass over the two periods' purchases, grouped by member (no IN over a subquery, which
    # PostgreSQL cannot hash once the period holds more rows than work_mem).
    per_member = (
        Purchase.objects.filter(
            purchased_at__gte=start - length, purchased_at__lte=end, original__isnull=True
        )
        .values("member_id")
        .annotate(
            before=Count("pk", filter=Q(purchased_at__lt=start)),
            again=Count("pk", filter=Q(purchased_at__gte=start)),
        )
        .order_by()
    )
    counts = per_member.aggregate(
        buyers=Count("member_id", filter=Q(before__gt=0)),
        retained=Count("member_id", filter=Q(before__gt=0, again__gt=0)),
    )
    scores = MemberScore.objects.filter(purchase_count__gt=0).aggregate(
        high=Count("pk", filter=Q(churn_risk__gte=HIGH_CHURN_RISK)), average=Avg("churn_risk")
    )
    return RetentionFigures(
        buyers_before=counts["buyers"] or 0,
        retained=counts["retained"] or 0,
        high_churn_risk=scores["high"] or 0,
        average_churn_risk=scores["average"],
    )


@dataclass(frozen=True)
class ValueFigures:
    customers: int
    clv_average: Decimal
    clv_predicted_average: Decimal
    spend_12m: Decimal


def dashboard_value() -> ValueFigures:
    """Customer lifetime value from the scores table (1 query)."""
    row = MemberScore.objects.filter(purchase_count__gt=0).aggregate(
        customers=Count("pk"),
        clv=Avg("clv_historic"),
        predicted=Avg("clv_predicted_12m"),
        spend=Sum("spend_12m"),
    )
    return ValueFigures(
        customers=row["customers"] or 0,
        clv_average=row["clv"] or Decimal(0),
        clv_predicted_average=row["predicted"] or Decimal(0),
        spend_12m=row["spend"] or Decimal(0),
    )


def dashboard_purchases_per_week(*, start: datetime.datetime, end: datetime.datetime) -> list[Any]:
    """Purchases (returns netted into the amount, not counted as purchases) per week and
    channel: [{"week": date, "channel": "online", "count": n, "amount": Decimal}] (1 query)."""
    return list(
        Purchase.objects.filter(purchased_at__gte=start, purchased_at__lte=end)
        .annotate(week=TruncWeek("purchased_at", output_field=DateField()))
        .values("week", "channel")
        .annotate(count=Count("id", filter=Q(original__isnull=True)), amount=Sum("amount"))
        .order_by("week", "channel")
    )
