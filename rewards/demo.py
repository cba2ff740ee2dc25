"""Demo data for rewards: the tiers Bas, Silver and Guld, earning rules and a choose-your-own
catalogue (members' points come from their purchases through the ledger)."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.utils import timezone

from core.seeding import SeedContext, demo_seeder

from .models import EarningRule, Reward, Tier

TIERS = [
    (
        1,
        "Bas",
        "Base",
        0,
        "1.00",
        "Poäng på varje köp\nFödelsedagsöverraskning",
        "Points on every purchase\nBirthday surprise",
    ),
    (
        2,
        "Silver",
        "Silver",
        2500,
        "1.25",
        "Fri frakt\nFörlängt öppet köp, 60 dagar",
        "Free delivery\nExtended returns, 60 days",
    ),
    (
        3,
        "Guld",
        "Gold",
        10000,
        "1.50",
        "Fri frakt och fri ändringssömnad\nFörtur till klubbträffar",
        "Free delivery and alterations\nFirst in line for club events",
    ),
]

REWARDS = [
    ("voucher", "Presentkort 100 kr", "Gift card SEK 100", 1000, None, None),
    ("voucher", "20 % på en valfri vara", "20% off one item", 1500, None, 1),
    ("experience", "Matlagningskurs med vår kock", "Cooking class with our chef", 6000, 12, 1),
    ("partner", "Biobiljett för två", "Cinema tickets for two", 2500, 200, 2),
    (
        "charity",
        "Skänk 50 kr till Naturskyddsföreningen",
        "Give SEK 50 to nature conservation",
        500,
        None,
        None,
    ),
    ("service", "Fri ändringssömnad", "Free alteration", 800, None, 4),
    ("product", "Klubbens termos", "The club's thermos", 1800, 150, 1),
]


@demo_seeder(order=60)
def seed_rewards(ctx: SeedContext) -> None:
    tiers = {}
    for order, sv, en, threshold, multiplier, benefits_sv, benefits_en in TIERS:
        tiers[order] = Tier.objects.create(
            order=order,
            name_sv=sv,
            name_en=en,
            threshold=threshold,
            multiplier=Decimal(multiplier),
            benefits_sv=benefits_sv,
            benefits_en=benefits_en,
        )
    EarningRule.objects.create(name="Grundregel: 1 poäng per krona", points_per_sek=1)
    EarningRule.objects.create(
        name="Webbshop: 1,5 poäng per krona", channel="online", points_per_sek=Decimal("1.5")
    )
    now = timezone.now()
    for index, (kind, sv, en, cost, stock, limit) in enumerate(REWARDS):
        reward = Reward.objects.create(
            kind=kind,
            name_sv=sv,
            name_en=en,
            points_cost=cost,
            stock=stock,
            per_member_limit=limit,
            order=index,
            description_sv=f"{sv}. Välj själv det som passar dig.",
            description_en=f"{en}. Choose what suits you.",
            voucher_valid_days=90 if kind == "voucher" else None,
            valid_until=now + datetime.timedelta(days=365) if kind == "experience" else None,
        )
        if kind == "experience":
            reward.tiers.add(tiers[2], tiers[3])
    ctx.made["tiers"] = tiers
    ctx.out(f"Rewards: {len(TIERS)} tiers, {len(REWARDS)} rewards, 2 earning rules.")
