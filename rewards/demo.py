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

DESCRIPTIONS = {
    "Presentkort 100 kr": (
        "Ett presentkort att handla för i butik eller på webben. Koden gäller i 90 dagar.",
        "A gift card for our shops or the web shop. The code is valid for 90 days.",
    ),
    "20 % på en valfri vara": (
        "Välj själv vilken vara du vill ha rabatt på, även nyheter. En gång per medlem.",
        "Pick any item you like, new arrivals too. Once per member.",
    ),
    "Matlagningskurs med vår kock": (
        "En kväll i vårt provkök: laga en trerättersmiddag tillsammans med andra medlemmar.",
        "An evening in our test kitchen: cook a three-course dinner with other members.",
    ),
    "Biobiljett för två": (
        "Två biobiljetter hos vår partner, till valfri föreställning inom ett år.",
        "Two cinema tickets at our partner, for any showing within a year.",
    ),
    "Skänk 50 kr till Naturskyddsföreningen": (
        "Dina poäng blir en gåva. Klubben redovisar varje år hur mycket medlemmarna skänkt.",
        "Your points become a gift. Every year the club reports how much members have given.",
    ),
    "Fri ändringssömnad": (
        "Vi lägger upp byxorna eller tar in jackan åt dig, utan kostnad.",
        "We take up your trousers or take in your jacket, free of charge.",
    ),
    "Klubbens termos": (
        "Vår egen termos i rostfritt stål som håller kaffet varmt hela turen.",
        "Our own stainless-steel flask that keeps coffee hot for the whole trip.",
    ),
}


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
            description_sv=DESCRIPTIONS[sv][0],
            description_en=DESCRIPTIONS[sv][1],
            voucher_valid_days=90 if kind == "voucher" else None,
            valid_until=now + datetime.timedelta(days=365) if kind == "experience" else None,
        )
        if kind == "experience":
            reward.tiers.add(tiers[2], tiers[3])
    ctx.made["tiers"] = tiers
    ctx.out(f"Rewards: {len(TIERS)} tiers, {len(REWARDS)} rewards, 2 earning rules.")


# The other parts of the rewards demo (each registers its own seeder).
from . import demo_earning, demo_gamification, demo_points  # noqa: E402, F401
