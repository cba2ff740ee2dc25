"""Segment targeting of rewards, through members.selectors.segments (which compiles a segment's
rules to one query). Shared by services (eligibility when redeeming) and selectors (what the
catalogue shows)."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Exists, OuterRef

from members.models import Member, Segment
from members.selectors.segments import segment_members


def member_in_segment(*, member: Member, segment: Segment) -> bool:
    return segment_members(rules=segment.rules).filter(pk=member.pk).exists()


def member_segment_ids(*, member: Member, segments: Iterable[Segment]) -> set[int]:
    """The ids of those `segments` that `member` belongs to, in one query whatever their number
    (one EXISTS per segment, each the segment's compiled rules narrowed to this member)."""
    segments = list(segments)
    if not segments:
        return set()
    checks = {
        f"in_{segment.pk}": Exists(segment_members(rules=segment.rules).filter(pk=OuterRef("pk")))
        for segment in segments
    }
    row = Member.objects.filter(pk=member.pk).annotate(**checks).values(*checks).first() or {}
    return {segment.pk for segment in segments if row.get(f"in_{segment.pk}")}
