"""Reads for badges, challenges and the leaderboard in the portal. Queries are bounded by the
number of badge metrics and active challenges, never by the number of members."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.db.models import IntegerField, OuterRef, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from members.models import Member
from members.selectors.segments import segment_members
from rewards.metrics import badge_metric_rows
from rewards.models import (
    Badge,
    Challenge,
    ChallengeCompletion,
    LeaderboardOptIn,
    MemberBadge,
    PointsEntry,
)

LEADERBOARD_DAYS = 365
LEADERBOARD_SIZE = 20


def _percent(value: int, target: int) -> int:
    if target <= 0:
        return 100
    return max(0, min(100, value * 100 // target))


@dataclass(frozen=True)
class BadgeStatus:
    badge: Badge
    awarded_at: datetime.datetime | None
    value: int
    percent: int


@dataclass(frozen=True)
class ChallengeStatus:
    challenge: Challenge
    value: int
    percent: int
    completed_at: datetime.datetime | None


def _metric_value(*, key: str, member: Member, since=None, until=None) -> int:
    rows = badge_metric_rows(key=key, member_ids=[member.pk], since=since, until=until)
    if rows is None:
        return 0
    row = next(iter(rows[:1]), None)
    return int(row["value"] or 0) if row else 0


def badges_for_member(*, member: Member) -> list[BadgeStatus]:
    """Every active badge (and any inactive one the member holds), earned ones first, with the
    member's progress towards the rest. One query per distinct metric."""
    earned = {
        award.badge_id: award
        for award in MemberBadge.objects.filter(member=member).select_related("badge")
    }
    badges = list(Badge.objects.filter(is_active=True).order_by("order", "id"))
    known = {badge.pk for badge in badges}
    badges += [award.badge for award in earned.values() if award.badge_id not in known]
    values: dict[str, int] = {}
    for key in {badge.metric for badge in badges if badge.pk not in earned}:
        values[key] = _metric_value(key=key, member=member)
    statuses = []
    for badge in badges:
        award = earned.get(badge.pk)
        value = badge.threshold if award else values.get(badge.metric, 0)
        statuses.append(
            BadgeStatus(
                badge=badge,
                awarded_at=award.awarded_at if award else None,
                value=min(value, badge.threshold),
                percent=100 if award else _percent(value, badge.threshold),
            )
        )
    statuses.sort(key=lambda s: (s.awarded_at is None, s.badge.order, s.badge.pk))
    return statuses


def challenges_for_member(
    *, member: Member, now: datetime.datetime | None = None
) -> list[ChallengeStatus]:
    """Active challenges open now that the member takes part in, with progress counted within
    each challenge's window."""
    now = now or timezone.now()
    challenges = (
        Challenge.objects.filter(is_active=True, starts_at__lte=now, ends_at__gt=now)
        .select_related("badge", "segment")
        .order_by("ends_at", "id")
    )
    done = dict(
        ChallengeCompletion.objects.filter(member=member).values_list(
            "challenge_id", "completed_at"
        )
    )
    statuses = []
    for challenge in challenges:
        if (
            challenge.segment is not None
            and not segment_members(rules=challenge.segment.rules, now=now)
            .filter(pk=member.pk)
            .exists()
        ):
            continue
        completed_at = done.get(challenge.pk)
        value = (
            challenge.target
            if completed_at
            else _metric_value(
                key=challenge.metric,
                member=member,
                since=challenge.starts_at,
                until=challenge.ends_at,
            )
        )
        statuses.append(
            ChallengeStatus(
                challenge=challenge,
                value=min(value, challenge.target),
                percent=100 if completed_at else _percent(value, challenge.target),
                completed_at=completed_at,
            )
        )
    return statuses


# --- The leaderboard ---------------------------------------------------------------------------


@dataclass(frozen=True)
class LeaderboardRow:
    rank: int
    display_name: str
    points: int
    is_me: bool


def leaderboard_optin_get(*, member: Member) -> LeaderboardOptIn | None:
    return LeaderboardOptIn.objects.filter(member=member).first()


def _leaderboard_scores(now: datetime.datetime) -> QuerySet[Any]:
    """Opted-in (not erased) members annotated with `points` earned in the last 12 months."""
    since = now - datetime.timedelta(days=LEADERBOARD_DAYS)
    earned = (
        PointsEntry.objects.filter(member_id=OuterRef("member_id"), created_at__gte=since)
        .order_by()
        .values("member_id")
        .annotate(total=Sum("qualifying"))
        .values("total")
    )
    return (
        LeaderboardOptIn.objects.exclude(member__status=Member.Status.ERASED)
        .annotate(points=Coalesce(Subquery(earned, output_field=IntegerField()), Value(0)))
        .order_by("-points", "created_at", "member_id")
    )


def leaderboard_top(
    *,
    member: Member | None = None,
    limit: int = LEADERBOARD_SIZE,
    now: datetime.datetime | None = None,
) -> list[LeaderboardRow]:
    """The top `limit` opted-in members by points earned (for tiers) in the last 12 months.
    Only the display name each member chose is shown. Ties share a rank."""
    rows = list(
        _leaderboard_scores(now or timezone.now()).values_list(
            "member_id", "display_name", "points"
        )[:limit]
    )
    result: list[LeaderboardRow] = []
    rank = 0
    previous = None
    for position, (member_id, name, points) in enumerate(rows, start=1):
        if points != previous:
            rank = position
            previous = points
        result.append(
            LeaderboardRow(
                rank=rank,
                display_name=name,
                points=max(points, 0),
                is_me=member is not None and member_id == member.pk,
            )
        )
    return result


def leaderboard_rank(
    *, member: Member, now: datetime.datetime | None = None
) -> LeaderboardRow | None:
    """The member's own row (None when they have not opted in)."""
    scores = _leaderboard_scores(now or timezone.now())
    mine = scores.filter(member=member).values_list("display_name", "points").first()
    if mine is None:
        return None
    name, points = mine
    ahead = scores.filter(points__gt=points).count()
    return LeaderboardRow(rank=ahead + 1, display_name=name, points=max(points, 0), is_me=True)
