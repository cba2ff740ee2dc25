"""Reads of the ledger: a member's points summary, history and expiring lots, and the reconcile
proof that every balance equals its ledger."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.db.models import F, IntegerField, OuterRef, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from members.models import Member
from rewards.models import PointsAccount, PointsEntry, PointsLot, PointsLotDraw, Tier

ROLLING_DAYS = 365


@dataclass(frozen=True)
class ExpiringPoints:
    points: int
    expires_on: datetime.date


@dataclass(frozen=True)
class PointsSummary:
    balance: int
    debt: int
    earned_12m: int
    tier: Tier | None
    next_tier: Tier | None
    points_to_next_tier: int
    progress_percent: int
    tier_grace_until: datetime.date | None
    expiring: list[ExpiringPoints] = field(default_factory=list)


def points_earned_12m(*, member: Member, now: datetime.datetime | None = None) -> int:
    since = (now or timezone.now()) - datetime.timedelta(days=ROLLING_DAYS)
    return PointsEntry.objects.filter(member=member).qualifying_points(since=since)


def points_expiring(*, member: Member, limit: int = 5) -> list[ExpiringPoints]:
    """Points still to be spent, grouped by the day they expire, soonest first."""
    today = timezone.localdate()
    rows = (
        PointsLot.objects.filter(
            member=member, remaining__gt=0, expires_on__gte=today, expires_on__isnull=False
        )
        .order_by("expires_on")
        .values("expires_on")
        .annotate(points=Sum("remaining"))[:limit]
    )
    return [
        ExpiringPoints(points=row["points"], expires_on=row["expires_on"])
        for row in rows
        if row["expires_on"] is not None
    ]


def points_summary(*, member: Member) -> PointsSummary:
    """Balance, debt, tier, progress to the next tier and the soonest expiring points."""
    account = PointsAccount.objects.select_related("tier").filter(member=member).first()
    earned = points_earned_12m(member=member)
    tier = account.tier if account else None
    higher = Tier.objects.order_by("threshold")
    if tier is not None:
        higher = higher.filter(threshold__gt=tier.threshold)
    next_tier = higher.filter(threshold__gt=earned).first() if higher is not None else None
    to_next = max(next_tier.threshold - earned, 0) if next_tier else 0
    base = tier.threshold if tier else 0
    if next_tier and next_tier.threshold > base:
        progress = int(100 * max(earned - base, 0) / (next_tier.threshold - base))
    else:
        progress = 100
    # Points past their last day that the hourly job has not expired yet are not spendable.
    overdue = (
        PointsLot.objects.filter(
            member=member, remaining__gt=0, expires_on__lt=timezone.localdate()
        ).aggregate(total=Coalesce(Sum("remaining"), 0))["total"]
        if account and account.balance
        else 0
    )
    return PointsSummary(
        balance=(account.balance - overdue) if account else 0,
        debt=account.debt if account else 0,
        earned_12m=earned,
        tier=tier,
        next_tier=next_tier,
        points_to_next_tier=to_next,
        progress_percent=min(progress, 100),
        tier_grace_until=account.tier_grace_until if account else None,
        expiring=points_expiring(member=member),
    )


def points_entries(*, member: Member, kind: str = "") -> QuerySet[PointsEntry]:
    """The member's ledger, newest first."""
    queryset = PointsEntry.objects.filter(member=member).order_by("-created_at", "-id")
    if kind:
        queryset = queryset.filter(kind=kind)
    return queryset


# --- Reconcile -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReconcileProblem:
    member_id: int
    problem: str


def _sum_of(queryset, column: str):
    return Coalesce(
        Subquery(
            queryset.order_by().values("member_id").annotate(total=Sum(column)).values("total"),
            output_field=IntegerField(),
        ),
        Value(0),
    )


def points_reconcile() -> list[ReconcileProblem]:
    """Every way the ledger and the balances could disagree, set-based (four queries):

    - an account whose balance is not the sum of its entries, or whose debt is not the sum of
      their debt changes, or whose open lots do not add up to its balance;
    - a lot whose remaining points are not its amount minus what was drawn from it;
    - entries of a member without an account."""
    problems: list[ReconcileProblem] = []
    member_ref = OuterRef("member_id")
    accounts = PointsAccount.objects.annotate(
        ledger_balance=_sum_of(PointsEntry.objects.filter(member_id=member_ref), "amount"),
        ledger_debt=_sum_of(PointsEntry.objects.filter(member_id=member_ref), "debt_change"),
        lots_remaining=_sum_of(PointsLot.objects.filter(member_id=member_ref), "remaining"),
    )
    for row in accounts.exclude(
        balance=F("ledger_balance"), debt=F("ledger_debt"), balance__exact=F("lots_remaining")
    ).values("member_id", "balance", "debt", "ledger_balance", "ledger_debt", "lots_remaining"):
        if row["balance"] != row["ledger_balance"]:
            problems.append(
                ReconcileProblem(
                    row["member_id"],
                    f"balance {row['balance']} but ledger sum {row['ledger_balance']}",
                )
            )
        if row["debt"] != row["ledger_debt"]:
            problems.append(
                ReconcileProblem(
                    row["member_id"], f"debt {row['debt']} but ledger sum {row['ledger_debt']}"
                )
            )
        if row["balance"] != row["lots_remaining"]:
            problems.append(
                ReconcileProblem(
                    row["member_id"],
                    f"balance {row['balance']} but lots hold {row['lots_remaining']}",
                )
            )
    drawn = Coalesce(
        Subquery(
            PointsLotDraw.objects.filter(lot_id=OuterRef("pk"))
            .order_by()
            .values("lot_id")
            .annotate(total=Sum("amount"))
            .values("total"),
            output_field=IntegerField(),
        ),
        Value(0),
    )
    for lot in (
        PointsLot.objects.annotate(drawn=drawn)
        .exclude(remaining=F("amount") - F("drawn"))
        .values("pk", "member_id", "amount", "remaining", "drawn")
    ):
        problems.append(
            ReconcileProblem(
                lot["member_id"],
                f"lot {lot['pk']}: {lot['amount']} - drawn {lot['drawn']} "
                f"!= remaining {lot['remaining']}",
            )
        )
    orphans = (
        PointsEntry.objects.exclude(member_id__in=PointsAccount.objects.values("member_id"))
        .values_list("member_id", flat=True)
        .distinct()
    )
    for member_id in orphans:
        problems.append(ReconcileProblem(member_id, "ledger entries without an account"))
    return sorted(problems, key=lambda problem: (problem.member_id, problem.problem))
