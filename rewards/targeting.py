"""Segment targeting of rewards, through members.selectors.segments (which compiles a segment's
rules to one query). Shared by services (eligibility when redeeming) and selectors (what the
catalogue shows). Until that module exists, segment-restricted rewards are shown to nobody."""

from __future__ import annotations

from collections.abc import Iterable

from members.models import Member, Segment


def _segment_members():
    try:
        from members.selectors.segments import segment_members
    except ImportError:
        return None
    return segment_members


def member_in_segment(*, member: Member, segment: Segment) -> bool:
    segment_members = _segment_members()
    if segment_members is None:
        return False
    return segment_members(rules=segment.rules).filter(pk=member.pk).exists()


def member_segment_ids(*, member: Member, segments: Iterable[Segment]) -> set[int]:
    """The ids of those `segments` that `member` belongs to (one query per segment)."""
    return {segment.pk for segment in segments if member_in_segment(member=member, segment=segment)}
