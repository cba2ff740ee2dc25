"""Reads of segments: the members a set of rules matches, their count and a sample.

Each is ONE query: the rules compile to a Q of lookups, EXISTS and IN-subqueries
(members.segments), never to Python-side filtering. Erased members never match.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.db.models import QuerySet

from members.models import Member, Segment, SegmentSnapshot
from members.segments import segment_q


def segment_members(*, rules: Any, now: datetime.datetime | None = None) -> QuerySet[Member]:
    """Non-erased members matching `rules` (ValidationError when the rules are malformed)."""
    return Member.objects.not_erased().filter(segment_q(rules, now=now))


def segment_count(*, rules: Any, now: datetime.datetime | None = None) -> int:
    return segment_members(rules=rules, now=now).count()


def segment_sample(
    *, rules: Any, size: int = 10, now: datetime.datetime | None = None
) -> list[Member]:
    """The first `size` matching members, newest first, with their preferred store."""
    return list(
        segment_members(rules=rules, now=now)
        .select_related("preferred_store")
        .order_by("-joined_at", "-id")[:size]
    )


def segment_list() -> QuerySet[Segment]:
    return Segment.objects.select_related("created_by").order_by("name")


def segment_snapshots(*, segment: Segment) -> QuerySet[SegmentSnapshot]:
    return segment.snapshots.select_related("created_by").order_by("-created_at", "-id")


def snapshot_members(*, snapshot: SegmentSnapshot) -> QuerySet[Member]:
    """The frozen members of a snapshot (erased members' rows stay, anonymised, for counts)."""
    return Member.objects.filter(
        pk__in=SegmentSnapshot.members.through.objects.filter(
            segmentsnapshot_id=snapshot.pk
        ).values("member_id")
    ).order_by("pk")
