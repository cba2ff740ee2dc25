"""seed_demo for the CRM: members with and without logins, valid numbers, purchases with lines and
returns, consents against v1 texts, scores — and the same club for the same seed."""

from __future__ import annotations

import random
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db.models import Count, F, Min, Sum

from core.seeding import SeedContext
from members import demo
from members.models import (
    ConsentEvent,
    Member,
    MemberScore,
    Purchase,
    PurchaseLine,
    Store,
    User,
)
from members.services.profiles import member_number_is_valid

pytestmark = pytest.mark.django_db


def _fingerprint() -> dict:
    """What two seeded clubs must agree on (ids aside, which sequences may shift)."""
    return {
        "members": list(
            Member.objects.order_by("number").values_list(
                "number", "email", "phone", "first_name", "city", "joined_at"
            )
        ),
        "purchases": list(
            Purchase.objects.order_by("member__number", "purchased_at", "amount").values_list(
                "member__number", "purchased_at", "amount", "channel", "store__code"
            )
        ),
        "lines": PurchaseLine.objects.count(),
        "consents": ConsentEvent.objects.count(),
        "scores": list(
            MemberScore.objects.order_by("member__number").values_list(
                "member__number", "purchase_count", "total_spend", "preferred_channel"
            )
        ),
    }


def _seed_members_area(*, members: int, seed: int) -> None:
    """Run this area's seeders (users, members, purchases and scores) as seed_demo would."""
    context = SeedContext(members=members, seed=seed, rng=random.Random(seed), out=lambda _t: None)
    for seeder in (demo.seed_users, demo.seed_members, demo.seed_purchases):
        seeder(context)


def _wipe() -> None:
    for model in (MemberScore, PurchaseLine, ConsentEvent):
        model.objects.all().delete()
    Purchase.objects.filter(original__isnull=False).delete()
    Purchase.objects.all().delete()
    Member.objects.all().delete()
    Store.objects.all().delete()
    from members.models import Interest

    Interest.objects.all().delete()
    User.objects.all().delete()


def test_seed_demo_builds_a_realistic_club():
    # when a small club is seeded
    call_command("seed_demo", members=120, seed=7)

    # then there are exactly --members members, most with a login, the rest from the till
    members = Member.objects.all()
    assert members.count() == 120
    with_login = members.filter(user__isnull=False).count()
    assert 0 < with_login < 120
    assert Member.objects.filter(user__email="member@demo.lojal.se").exists()
    assert all(
        member_number_is_valid(number) for number in members.values_list("number", flat=True)
    )
    # eight town stores and the web shop
    assert Store.objects.filter(is_online=False).count() == 8
    assert Store.objects.filter(is_online=True).count() == 1
    # about ten purchases per member, with lines adding up to the amount, online and in store
    purchases = Purchase.objects.filter(original__isnull=True)
    assert 5 * 120 < purchases.count() < 15 * 120
    assert {"online", "store"} == set(purchases.values_list("channel", flat=True))
    assert not Purchase.objects.filter(channel="store", store__isnull=True).exists()
    mismatched = Purchase.objects.annotate(total=Sum("lines__amount")).exclude(total=F("amount"))
    assert not mismatched.exists()
    # some returns, negative, of the same member, not more than the original
    returns = Purchase.objects.filter(original__isnull=False)
    assert returns.exists()
    assert not returns.filter(amount__gte=0).exists()
    assert not returns.exclude(member=F("original__member")).exists()
    assert not returns.filter(amount__lt=-F("original__amount")).exists()
    # nobody bought before joining
    first = Member.objects.annotate(first=Min("purchases__purchased_at"))
    assert not first.filter(first__lt=F("joined_at")).exists()
    # consents are granted against a text, and every member has a score
    assert ConsentEvent.objects.filter(granted=True).exists()
    assert not ConsentEvent.objects.filter(granted=True, text__isnull=True).exists()
    assert MemberScore.objects.count() == 120
    channels = set(MemberScore.objects.values_list("preferred_channel", flat=True))
    assert {"online", "store", "both"} <= channels
    assert MemberScore.objects.filter(recency_score=5).exists()
    assert MemberScore.objects.filter(churn_risk__gte=Decimal("0.9")).exists()  # lapsed ones
    # the patterns differ: one-off buyers and regulars
    counts = Member.objects.annotate(n=Count("purchases")).values_list("n", flat=True)
    assert min(counts) <= 1 and max(counts) >= 15


def test_seed_demo_is_deterministic_for_a_seed():
    # given a club seeded with seed 11
    _seed_members_area(members=60, seed=11)
    first = _fingerprint()

    # when the database is emptied and the same seed is used again
    _wipe()
    _seed_members_area(members=60, seed=11)

    # then the club is the same
    second = _fingerprint()
    assert first["members"] == second["members"]
    assert first["purchases"] == second["purchases"]
    assert first == second


def test_another_seed_gives_another_club():
    _seed_members_area(members=40, seed=1)
    first = _fingerprint()
    _wipe()
    _seed_members_area(members=40, seed=2)
    assert _fingerprint()["members"] != first["members"]


@pytest.mark.postgres
def test_seed_demo_on_postgres_uses_copy_and_resets_sequences():
    from django.db.models import Max

    from tests.members.factories import MemberFactory, PurchaseFactory, UserFactory

    # given a small club seeded on PostgreSQL (COPY with explicit ids)
    call_command("seed_demo", members=50, seed=3)
    tops = {
        model: model.objects.aggregate(top=Max("pk"))["top"] for model in (User, Member, Purchase)
    }

    # when rows are then created the ordinary way
    user = UserFactory()
    member = MemberFactory()
    purchase = PurchaseFactory(member=member)

    # then they get fresh ids after the seeded ones (the sequences were moved on)
    assert user.pk > tops[User]
    assert member.pk > tops[Member]
    assert purchase.pk > tops[Purchase]
