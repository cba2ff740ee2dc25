"""The figures behind the rewards dashboard tiles (core.dashboard): points issued, redeemed and
expired per week, the liability and its trend, the redemption rate and the top rewards. Each is
one or two aggregate queries over the ledger's time index and the accounts, whatever the club's
size."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, DateField, Q, Sum
from django.db.models.functions import TruncWeek

from rewards.models import PointsAccount, PointsEntry, Redemption


def dashboard_points_per_week(*, start: datetime.datetime, end: datetime.datetime) -> list[Any]:
    """[{"week": date, "kind": "earn", "total": points}] for earn, redeem (net of the points
    cancellations gave back), expire and adjust, in the period (1 query)."""
    return list(
        PointsEntry.objects.filter(created_at__gte=start, created_at__lte=end)
        .annotate(week=TruncWeek("created_at", output_field=DateField()))
        .values("week", "kind")
        .annotate(total=Sum("amount"))
        .order_by("week", "kind")
    )


@dataclass(frozen=True)
class LiabilityNow:
    points: int
    members: int


def dashboard_liability_now() -> LiabilityNow:
    """Points outstanding now and the members holding them (1 query)."""
    row = PointsAccount.objects.aggregate(
        points=Sum("balance"), members=Count("pk", filter=Q(balance__gt=0))
    )
    return LiabilityNow(points=row["points"] or 0, members=row["members"] or 0)


def dashboard_redemptions(
    *, start: datetime.datetime, end: datetime.datetime, top: int = 5
) -> tuple[int, list[Any]]:
    """Redemptions in the period (not cancelled) and the top rewards by redemptions (2 queries)."""
    redemptions = Redemption.objects.filter(created_at__gte=start, created_at__lte=end).exclude(
        status=Redemption.Status.CANCELLED
    )
    count = redemptions.count()
    rows = list(
        redemptions.values("reward_id", "reward__name_sv", "reward__name_en")
        .annotate(count=Count("id"), points=Sum("points"))
        .order_by("-count", "reward_id")[:top]
    )
    return count, rows
