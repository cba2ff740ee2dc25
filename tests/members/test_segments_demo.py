"""The demo club gets four saved segments, each valid and frozen once."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from members.models import Segment, SegmentSnapshot
from members.selectors.segments import segment_count

pytestmark = pytest.mark.django_db


def test_seed_demo_saves_the_demo_segments_with_snapshots():
    # when a small demo club is seeded
    call_command("seed_demo", members=60, seed=7)

    # then the four segments exist, each with a snapshot counting what the rules match
    names = set(Segment.objects.values_list("name", flat=True))
    assert {
        "Lojala stamkunder",
        "Riskerar att lämna",
        "Nya i år",
        "E-postsamtycke, butik",
    } <= names
    for segment in Segment.objects.filter(name__in=names):
        snapshot = SegmentSnapshot.objects.get(segment=segment)
        assert snapshot.member_count == segment_count(rules=segment.rules)
    assert SegmentSnapshot.objects.filter(member_count__gt=0).exists()
