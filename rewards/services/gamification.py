"""Badges, challenges and the leaderboard: the writes.

`badges_award` and `challenges_award` are set-based: per badge or challenge one query finds the
members who reached it (the metric's rows filtered by value, a HAVING clause) and one bulk insert
records them, so the work does not grow in queries with the number of members. Points that come
with a badge or a challenge go through the ledger (`points_award`) with the idempotency keys
`badge:<slug>:<member>` and `challenge:<id>:<member>`, in the same transaction as the award rows,
so they are given exactly once however often the periodic task runs.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from members.models import Member
from members.selectors.segments import segment_members
from rewards.metrics import badge_metric_rows
from rewards.models import Badge, Challenge, ChallengeCompletion, LeaderboardOptIn, MemberBadge

from .ledger import Cause, points_award

REASON_BADGE = gettext_noop("Badge earned: %(badge)s")
REASON_CHALLENGE = gettext_noop("Challenge completed: %(challenge)s")
BATCH_SIZE = 2000
CHUNK_SIZE = 500
# Challenges that ended this long ago are still checked once more (the task runs periodically,
# so a member who finished just before the end is still rewarded).
CHALLENGE_GRACE = datetime.timedelta(days=7)
DISPLAY_NAME_MAX = 30


@dataclass(frozen=True)
class AwardResult:
    awarded: int
    points_awards: int


def _member_filter(member_ids: Iterable[int] | None) -> list[int] | None:
    return None if member_ids is None else [int(pk) for pk in member_ids]


def _eligible_members() -> QuerySet[Any]:
    return Member.objects.not_erased().values("pk")


def _members_in_chunks(member_ids: list[int]) -> Iterator[Member]:
    """The members, loaded a chunk of ids at a time (SQLite limits the parameters of a query)."""
    for start in range(0, len(member_ids), CHUNK_SIZE):
        yield from Member.objects.filter(pk__in=member_ids[start : start + CHUNK_SIZE]).order_by(
            "pk"
        )


def _badge_points(*, badge: Badge, member_ids: list[int]) -> int:
    if not badge.points or not member_ids:
        return 0
    for member in _members_in_chunks(member_ids):
        points_award(
            member=member,
            points=badge.points,
            reason=REASON_BADGE,
            reason_params={"badge": {"sv": badge.name_sv, "en": badge.name_en}},
            idempotency_key=f"badge:{badge.slug}:{member.pk}",
            cause=Cause(label="badge", obj=badge),
        )
    return len(member_ids)


def _badge_give(*, badge: Badge, member_ids: list[int], now: datetime.datetime) -> tuple[int, int]:
    """Record `badge` for the members, who did not have it when the caller looked (a run at the
    same moment is absorbed by the unique constraint, and the points by their idempotency key),
    and give its points once. Returns (badges recorded, points awards)."""
    if not member_ids:
        return 0, 0
    MemberBadge.objects.bulk_create(
        [MemberBadge(member_id=pk, badge=badge, awarded_at=now) for pk in member_ids],
        ignore_conflicts=True,
        batch_size=BATCH_SIZE,
    )
    return len(member_ids), _badge_points(badge=badge, member_ids=member_ids)


def badges_award(
    *, member_ids: Iterable[int] | None = None, now: datetime.datetime | None = None
) -> AwardResult:
    """Give every active badge to every (or each listed) member whose metric has reached the
    badge's threshold. Safe to run again: a badge and its points are given once."""
    now = now or timezone.now()
    ids = _member_filter(member_ids)
    awarded = points_awards = 0
    for badge in Badge.objects.filter(is_active=True).order_by("order", "id"):
        rows = badge_metric_rows(key=badge.metric, member_ids=ids)
        if rows is None:
            continue
        reached = (
            rows.filter(value__gte=badge.threshold, member_id__in=_eligible_members())
            .exclude(member_id__in=MemberBadge.objects.filter(badge=badge).values("member_id"))
            .values_list("member_id", flat=True)
        )
        with transaction.atomic():
            made, given = _badge_give(badge=badge, member_ids=list(reached), now=now)
        awarded += made
        points_awards += given
    return AwardResult(awarded=awarded, points_awards=points_awards)


def challenge_progress_rows(
    *, challenge: Challenge, member_ids: Iterable[int] | QuerySet[Any] | None = None
) -> QuerySet[Any] | None:
    """The metric counted within the challenge's window (None when the metric is unknown)."""
    return badge_metric_rows(
        key=challenge.metric,
        member_ids=member_ids,
        since=challenge.starts_at,
        until=challenge.ends_at,
    )


def challenges_award(
    *, member_ids: Iterable[int] | None = None, now: datetime.datetime | None = None
) -> AwardResult:
    """Record every member who reached an active challenge's target within its window, once,
    and give its points and/or badge."""
    now = now or timezone.now()
    ids = _member_filter(member_ids)
    completed = points_awards = 0
    challenges = Challenge.objects.filter(
        is_active=True, starts_at__lte=now, ends_at__gt=now - CHALLENGE_GRACE
    ).select_related("badge", "segment")
    for challenge in challenges.order_by("ends_at", "id"):
        rows = challenge_progress_rows(challenge=challenge, member_ids=ids)
        if rows is None:
            continue
        rows = rows.filter(value__gte=challenge.target, member_id__in=_eligible_members())
        if challenge.segment is not None:
            rows = rows.filter(
                member_id__in=segment_members(rules=challenge.segment.rules, now=now).values("pk")
            )
        reached = list(
            rows.exclude(
                member_id__in=ChallengeCompletion.objects.filter(challenge=challenge).values(
                    "member_id"
                )
            ).values_list("member_id", flat=True)
        )
        if not reached:
            continue
        with transaction.atomic():
            ChallengeCompletion.objects.bulk_create(
                [
                    ChallengeCompletion(challenge=challenge, member_id=pk, completed_at=now)
                    for pk in reached
                ],
                ignore_conflicts=True,
                batch_size=BATCH_SIZE,
            )
            completed += len(reached)
            if challenge.points:
                for member in _members_in_chunks(reached):
                    points_award(
                        member=member,
                        points=challenge.points,
                        reason=REASON_CHALLENGE,
                        reason_params={
                            "challenge": {"sv": challenge.name_sv, "en": challenge.name_en}
                        },
                        idempotency_key=f"challenge:{challenge.pk}:{member.pk}",
                        cause=Cause(label="challenge", obj=challenge),
                    )
                    points_awards += 1
            if challenge.badge is not None:
                holders = set(
                    MemberBadge.objects.filter(badge=challenge.badge).values_list(
                        "member_id", flat=True
                    )
                )
                _made, given = _badge_give(
                    badge=challenge.badge,
                    member_ids=[pk for pk in reached if pk not in holders],
                    now=now,
                )
                points_awards += given
    return AwardResult(awarded=completed, points_awards=points_awards)


def gamification_award(
    *, member_ids: Iterable[int] | None = None, now: datetime.datetime | None = None
) -> AwardResult:
    """Badges, then challenges (run by the periodic task, and for one member after a purchase)."""
    ids = _member_filter(member_ids)
    badges = badges_award(member_ids=ids, now=now)
    challenges = challenges_award(member_ids=ids, now=now)
    return AwardResult(
        awarded=badges.awarded + challenges.awarded,
        points_awards=badges.points_awards + challenges.points_awards,
    )


# --- The leaderboard ---------------------------------------------------------------------------


def leaderboard_default_name(*, member: Member) -> str:
    """First name and the initial of the last name ("Anna L."), never the full name."""
    first = member.first_name.strip().split(" ")[0] if member.first_name.strip() else ""
    initial = member.last_name.strip()[:1]
    if first and initial:
        return f"{first} {initial.upper()}."[:DISPLAY_NAME_MAX]
    return (first or _("Club member"))[:DISPLAY_NAME_MAX]


def _clean_display_name(value: Any, *, member: Member) -> str:
    if value is None or (isinstance(value, str) and not value.strip()):
        return leaderboard_default_name(member=member)
    if not isinstance(value, str):
        raise ValidationError(_("Choose a display name."), code="invalid_name")
    text = " ".join(value.split())
    if len(text) > DISPLAY_NAME_MAX:
        raise ValidationError(
            _("Your display name can be at most %(limit)d characters.")
            % {"limit": DISPLAY_NAME_MAX},
            code="name_too_long",
        )
    if not text.isprintable() or "@" in text:
        raise ValidationError(
            _("Your display name cannot contain an e-mail address or special characters."),
            code="invalid_name",
        )
    full = f"{member.first_name} {member.last_name}".strip().casefold()
    if member.last_name.strip() and full and text.casefold() == full:
        raise ValidationError(
            _("To protect your privacy, use your first name and an initial, or a nickname."),
            code="full_name",
        )
    return text


def leaderboard_join(*, member: Member, display_name: Any = None) -> LeaderboardOptIn:
    """Opt in to the leaderboard (or change the display name)."""
    if not isinstance(member, Member) or member.pk is None:
        raise TypeError("member must be a saved members.Member.")
    if member.status == Member.Status.ERASED:
        raise ValidationError(_("This member has been erased."), code="member_erased")
    name = _clean_display_name(display_name, member=member)
    optin, _created = LeaderboardOptIn.objects.update_or_create(
        member=member, defaults={"display_name": name}
    )
    return optin


def leaderboard_leave(*, member: Member) -> bool:
    """Opt out: the member's row is deleted and they are no longer shown. True if they were in."""
    deleted, _rows = LeaderboardOptIn.objects.filter(member=member).delete()
    return deleted > 0
