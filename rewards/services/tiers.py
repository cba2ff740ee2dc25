"""Tiers: counted on points *earned* in a rolling 12 months, never on the balance, so spending
points never demotes anyone. Upgrades happen inside the award that passes a threshold;
downgrades only at the yearly review, after a grace period. Every change is in TierChange."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import IntegerField, OuterRef, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from core.db import literal_parameters
from rewards.models import PointsAccount, PointsEntry, Tier, TierChange

ROLLING_DAYS = 365


def rolling_start(now: datetime.datetime) -> datetime.datetime:
    return now - datetime.timedelta(days=ROLLING_DAYS)


def one_year_after(day: datetime.date) -> datetime.date:
    try:
        return day.replace(year=day.year + 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year + 1, day=28)


def tier_for_points(*, points: int) -> Tier | None:
    """The highest tier whose threshold `points` reach (None below every threshold)."""
    return Tier.objects.filter(threshold__lte=points).order_by("-threshold").first()


def tier_upgrade_locked(
    *, account: PointsAccount, now: datetime.datetime | None = None
) -> TierChange | None:
    """Move the member up when their points earned in the last 12 months reach a higher tier.
    The caller holds the account's row lock (points_award does). Never moves anyone down."""
    now = now or timezone.now()
    earned = PointsEntry.objects.filter(member_id=account.member_id).qualifying_points(
        since=rolling_start(now)
    )
    target = tier_for_points(points=earned)
    current = account.tier
    if target is None or (current is not None and target.threshold <= current.threshold):
        return None
    today = timezone.localdate(now)
    change = TierChange.objects.create(
        member_id=account.member_id,
        from_tier=current,
        to_tier=target,
        reason=TierChange.Reason.UPGRADE,
        points_12m=earned,
        created_at=now,
    )
    account.tier = target
    account.tier_since = today
    account.tier_review_on = one_year_after(today)
    account.tier_grace_until = None
    account.save(
        update_fields=["tier", "tier_since", "tier_review_on", "tier_grace_until", "updated_at"]
    )
    return change


@dataclass(frozen=True)
class TierReviewResult:
    kept: int
    grace_started: int
    downgraded: int


def _earned_subquery(since: datetime.datetime) -> Coalesce:
    return Coalesce(
        Subquery(
            PointsEntry.objects.filter(member_id=OuterRef("member_id"), created_at__gte=since)
            .order_by()
            .values("member_id")
            .annotate(total=Sum("qualifying"))
            .values("total"),
            output_field=IntegerField(),
        ),
        Value(0),
    )


@literal_parameters()
def tiers_review(*, today: datetime.date | None = None, batch_size: int = 5000) -> TierReviewResult:
    """The yearly review, set-based (a fixed number of queries per batch of accounts):

    - accounts whose review date has come and who still reach their tier keep it for a year;
    - those below it start a grace period of REWARDS_TIER_GRACE_DAYS (logged);
    - when the grace period has ended, those still below move down to the tier their points
      reach (logged), the others keep their tier. The next review is a year later.

    Safe to run any number of times a day: a second run finds nothing due."""
    today = today or timezone.localdate()
    now = timezone.now()
    since = rolling_start(now)
    grace_days = settings.REWARDS_TIER_GRACE_DAYS
    next_review = one_year_after(today)
    kept = grace = downgraded = 0
    tiers = list(Tier.objects.order_by("-threshold"))

    def reached(points: int) -> Tier | None:
        return next((tier for tier in tiers if tier.threshold <= points), None)

    last_pk = 0
    while True:
        with transaction.atomic():
            due = list(
                PointsAccount.objects.select_for_update()
                .filter(member_id__gt=last_pk, tier__isnull=False)
                .filter(tier_review_on__lte=today)
                .annotate(earned=_earned_subquery(since))
                .select_related("tier")
                .order_by("member_id")[:batch_size]
            )
            if not due:
                break
            last_pk = due[-1].member_id
            keep_ids, grace_ids, changes = [], [], []
            downgrades: dict[int | None, list[int]] = {}
            for account in due:
                assert account.tier is not None
                if account.earned >= account.tier.threshold:
                    keep_ids.append(account.member_id)
                    if account.tier_grace_until is not None:
                        changes.append(
                            TierChange(
                                member_id=account.member_id,
                                from_tier=account.tier,
                                to_tier=account.tier,
                                reason=TierChange.Reason.KEPT,
                                points_12m=account.earned,
                                created_at=now,
                            )
                        )
                elif account.tier_grace_until is None:
                    grace_ids.append(account.member_id)
                    changes.append(
                        TierChange(
                            member_id=account.member_id,
                            from_tier=account.tier,
                            to_tier=account.tier,
                            reason=TierChange.Reason.GRACE,
                            points_12m=account.earned,
                            created_at=now,
                        )
                    )
                elif account.tier_grace_until <= today:
                    target = reached(account.earned)
                    downgrades.setdefault(target.pk if target else None, []).append(
                        account.member_id
                    )
                    changes.append(
                        TierChange(
                            member_id=account.member_id,
                            from_tier=account.tier,
                            to_tier=target,
                            reason=TierChange.Reason.DOWNGRADE,
                            points_12m=account.earned,
                            created_at=now,
                        )
                    )
                # else: in a grace period that has not ended yet: nothing to do today.
            if keep_ids:
                PointsAccount.objects.filter(member_id__in=keep_ids).update(
                    tier_review_on=next_review, tier_grace_until=None, updated_at=now
                )
                kept += len(keep_ids)
            if grace_ids:
                PointsAccount.objects.filter(member_id__in=grace_ids).update(
                    tier_grace_until=today + datetime.timedelta(days=grace_days), updated_at=now
                )
                grace += len(grace_ids)
            for tier_id, ids in downgrades.items():
                PointsAccount.objects.filter(member_id__in=ids).update(
                    tier_id=tier_id,
                    tier_since=today if tier_id else None,
                    tier_review_on=next_review if tier_id else None,
                    tier_grace_until=None,
                    updated_at=now,
                )
                downgraded += len(ids)
            TierChange.objects.bulk_create(changes, batch_size=2000)
    return TierReviewResult(kept=kept, grace_started=grace, downgraded=downgraded)
