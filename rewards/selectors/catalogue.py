"""Reads of the catalogue and redemptions, with the access checks: a member sees the rewards
meant for their tier and segments, and only their own redemptions."""

from __future__ import annotations

import datetime
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from members.models import Member, Segment
from rewards.models import PointsAccount, Redemption, Reward
from rewards.targeting import member_segment_ids


def reward_visible_q(*, member: Member, now: datetime.datetime | None = None) -> Q:
    """Rewards `member` may see now: active, in their window, for their tier (or every tier) and
    for a segment they are in (or for everyone)."""
    now = now or timezone.now()
    tier_id = PointsAccount.objects.filter(member=member).values_list("tier_id", flat=True).first()
    through = Reward.tiers.through
    any_tier = ~Exists(through.objects.filter(reward_id=OuterRef("pk")))
    my_tier = Exists(through.objects.filter(reward_id=OuterRef("pk"), tier_id=tier_id or 0))
    segment_ids = member_segment_ids(
        member=member,
        segments=Segment.objects.filter(
            pk__in=Reward.objects.available_at(now)
            .filter(segment__isnull=False)
            .values("segment_id")
        ),
    )
    return (
        Q(is_active=True)
        & (Q(valid_from__isnull=True) | Q(valid_from__lte=now))
        & (Q(valid_until__isnull=True) | Q(valid_until__gt=now))
        & (any_tier | my_tier if tier_id else any_tier)
        & (Q(segment__isnull=True) | Q(segment_id__in=segment_ids))
    )


def reward_list_for_member(
    *,
    member: Member,
    kind: str = "",
    max_cost: int | None = None,
    affordable_with: int | None = None,
) -> QuerySet[Reward]:
    """The catalogue for `member`, filtered by kind, cost and what they can afford; each reward
    annotated with `my_redemptions` (not cancelled) for the per-member limit."""
    queryset = (
        Reward.objects.filter(reward_visible_q(member=member))
        .annotate(
            my_redemptions=Count(
                "redemptions",
                filter=Q(redemptions__member=member)
                & ~Q(redemptions__status=Redemption.Status.CANCELLED),
            )
        )
        .order_by("order", "points_cost", "id")
    )
    if kind:
        queryset = queryset.filter(kind=kind)
    if max_cost is not None:
        queryset = queryset.filter(points_cost__lte=max_cost)
    if affordable_with is not None:
        queryset = queryset.filter(points_cost__lte=affordable_with)
    return queryset


def reward_get_for_member(
    *, member: Member, reward_id: int, with_my_redemptions: bool = False
) -> Reward:
    """One reward `member` may see, or Http404; with `my_redemptions` (not cancelled) when
    asked for."""
    queryset = Reward.objects.filter(reward_visible_q(member=member), pk=reward_id)
    if with_my_redemptions:
        queryset = queryset.annotate(
            my_redemptions=Count(
                "redemptions",
                filter=Q(redemptions__member=member)
                & ~Q(redemptions__status=Redemption.Status.CANCELLED),
            )
        )
    reward = queryset.first()
    if reward is None:
        raise Http404
    return reward


def redemption_list_for_member(*, member: Member) -> QuerySet[Redemption]:
    return (
        Redemption.objects.filter(member=member)
        .select_related("reward", "pickup_store")
        .order_by("-created_at", "-id")
    )


def delivery_last_address(*, member: Member) -> dict[str, Any] | None:
    """The address the member last had a reward sent to, as RedeemForm initial data."""
    last = (
        Redemption.objects.filter(member=member, delivery=Redemption.Delivery.POST)
        .order_by("-created_at", "-id")
        .values("delivery_name", "delivery_address", "delivery_postcode", "delivery_city")
        .first()
    )
    return dict(last) if last else None
