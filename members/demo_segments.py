"""Demo segments: a few saved segments a marketer would start from, each with a snapshot."""

from __future__ import annotations

from django.utils import timezone

from core.seeding import SeedContext, demo_seeder

from .models import Segment
from .roles import MARKETER
from .services.segments import segment_create, segment_snapshot_create


def demo_segment_definitions(*, year: int) -> list[tuple[str, str, dict]]:
    """(name, description, rules) of the demo segments."""
    return [
        (
            "Lojala stamkunder",
            "Köper ofta och nyligen: RFM-aktualitet och frekvens minst 4.",
            {
                "op": "and",
                "rules": [
                    {"field": "recency_score", "operator": "gte", "value": 4},
                    {"field": "frequency_score", "operator": "gte", "value": 4},
                ],
            },
        ),
        (
            "Riskerar att lämna",
            "Har handlat minst tre gånger men är långt över sitt vanliga köpintervall.",
            {
                "op": "and",
                "rules": [
                    {"field": "churn_risk", "operator": "gte", "value": "0.6"},
                    {"field": "purchase_count", "operator": "gte", "value": 3},
                ],
            },
        ),
        (
            "Nya i år",
            "Blev medlemmar i år.",
            {
                "op": "and",
                "rules": [{"field": "joined", "operator": "after", "value": f"{year}-01-01"}],
            },
        ),
        (
            "E-postsamtycke, butik",
            "Har samtyckt till e-post och handlat i butik det senaste året.",
            {
                "op": "and",
                "rules": [
                    {"field": "consent_email", "operator": "is", "value": True},
                    {
                        "field": "channel",
                        "operator": "in",
                        "value": ["store"],
                        "params": {"days": 365},
                    },
                ],
            },
        ),
    ]


@demo_seeder(order=90)
def seed_segments(ctx: SeedContext) -> None:
    actor = ctx.made.get("staff", {}).get(MARKETER)
    year = timezone.localdate().year
    made = []
    for name, description, rules in demo_segment_definitions(year=year):
        if Segment.objects.filter(name=name).exists():
            continue
        segment = segment_create(name=name, description=description, rules=rules, actor=actor)
        snapshot = segment_snapshot_create(segment=segment, actor=actor)
        made.append(f"{name} ({snapshot.member_count})")
    ctx.made["segments"] = made
    ctx.out(f"  segments: {', '.join(made) or 'already there'}")
