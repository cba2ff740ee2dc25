"""Demo data for benefit choice and gamification: a benefit menu (Silver picks one per quarter,
Guld two), badges, a running challenge and a few leaderboard participants. Badges are given with
the set-based service, so this stays fast for `seed_demo --members 100000`."""

from __future__ import annotations

import datetime

from django.utils import timezone

from core.seeding import SeedContext, demo_seeder
from members.models import Member

from .models import Badge, Benefit, Challenge, LeaderboardOptIn, Tier, TierBenefitAllowance
from .services.gamification import badges_award

BENEFITS = [
    (
        "Fri frakt",
        "Free delivery",
        "Fri frakt på alla webbordrar.",
        "Free delivery on every web order.",
    ),
    (
        "Förlängd returrätt",
        "Extended returns",
        "90 dagars öppet köp i stället för 30.",
        "90 days to return instead of 30.",
    ),
    (
        "10 % på valfri kategori",
        "10% off a category of your choice",
        "Tio procent på allt i den kategori du väljer, hela perioden.",
        "Ten per cent off everything in the category you choose, all period.",
    ),
    (
        "Födelsedagspresent",
        "Birthday gift",
        "En present från oss när du fyller år.",
        "A gift from us on your birthday.",
    ),
]
PICKS = {1: 0, 2: 1, 3: 2}  # Bas, Silver, Guld

BADGES = [
    # slug, sv, en, metric, threshold, points
    ("forsta-kopet", "Första köpet", "First purchase", "purchases", 1, None),
    ("stamkund", "Stamkund", "Regular", "purchases", 5, None),
    ("trogen-medlem", "Ett år som medlem", "A year as a member", "membership_years", 1, None),
    ("poangsamlare", "Poängsamlare", "Points collector", "points_earned", 5000, None),
    ("valjaren", "Väljaren", "The chooser", "redemptions", 1, None),
]


@demo_seeder(order=65)
def seed_gamification(ctx: SeedContext) -> None:
    tiers = ctx.made.get("tiers") or {tier.order: tier for tier in Tier.objects.all()}
    benefits = [
        Benefit(name_sv=sv, name_en=en, description_sv=dsv, description_en=den, order=index)
        for index, (sv, en, dsv, den) in enumerate(BENEFITS)
    ]
    Benefit.objects.bulk_create(benefits)
    TierBenefitAllowance.objects.bulk_create(
        [
            TierBenefitAllowance(tier=tiers[order], picks_per_period=picks)
            for order, picks in PICKS.items()
            if order in tiers
        ]
    )
    badges = Badge.objects.bulk_create(
        [
            Badge(
                slug=slug,
                name_sv=sv,
                name_en=en,
                metric=metric,
                threshold=threshold,
                points=points,
                order=index,
            )
            for index, (slug, sv, en, metric, threshold, points) in enumerate(BADGES)
        ]
    )
    now = timezone.now()
    Challenge.objects.create(
        name_sv="Vårutmaningen: handla tre gånger",
        name_en="Spring challenge: shop three times",
        description_sv="Handla tre gånger innan utmaningen tar slut och få 300 poäng.",
        description_en="Shop three times before the challenge ends and earn 300 points.",
        metric="purchases",
        target=3,
        starts_at=now,
        ends_at=now + datetime.timedelta(days=30),
        points=300,
        badge=badges[1],
    )
    awarded = badges_award(now=now).awarded
    # A few members who chose to appear on the leaderboard (first name and initial only).
    rows = (
        Member.objects.active()
        .exclude(first_name="")
        .order_by("pk")
        .values_list("pk", "first_name", "last_name")[:25]
    )
    LeaderboardOptIn.objects.bulk_create(
        [
            LeaderboardOptIn(
                member_id=pk,
                display_name=(f"{first} {last[:1]}." if last else first)[:30],
            )
            for index, (pk, first, last) in enumerate(rows)
            if ctx.rng.random() < 0.6 or index < 5
        ],
        ignore_conflicts=True,
    )
    ctx.out(
        f"Gamification: {len(BENEFITS)} benefits, {len(BADGES)} badges ({awarded} awarded), "
        "1 challenge, leaderboard participants."
    )
