"""Set-based earning for a batch of purchases gives every purchase what one-by-one earning gives.

Twin members start alike (plain, in debt, in a bonus segment, referred by a friend, close to a
tier); one twin's purchases go through purchases_ingest (the set-based path), the other's one by
one through purchase_record, and their ledgers must match entry by entry."""

import datetime
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.utils import timezone

from members.models import Purchase
from members.services.purchases import purchase_record, purchases_ingest
from rewards.models import PointsAccount, PointsEntry, TierChange
from rewards.services.earning import points_earn_for_purchase
from rewards.services.ledger import points_adjust
from tests.members.factories import MemberFactory, SegmentFactory, StaffFactory, StoreFactory

from .factories import EarningRuleFactory, TierFactory
from .factories_earning import ActivityRuleFactory, BonusPeriodFactory
from .helpers import assert_ledger_consistent

pytestmark = pytest.mark.django_db

GOTHENBURG = {"op": "and", "rules": [{"field": "city", "operator": "eq", "value": "Göteborg"}]}


@pytest.fixture
def world():
    now = timezone.now()
    store = StoreFactory(code="gbg")
    TierFactory(order=1, threshold=500, multiplier=Decimal("1.25"))
    TierFactory(order=2, threshold=2500, multiplier=Decimal("2"))
    EarningRuleFactory(points_per_sek=Decimal("1"))
    EarningRuleFactory(points_per_sek=Decimal("1.5"), channel="online")
    EarningRuleFactory(points_per_sek=Decimal("3"), store=store)
    BonusPeriodFactory(name="Web week", multiplier=Decimal("1.5"), channel="online")
    BonusPeriodFactory(
        name="Göteborg", multiplier=Decimal("3"), segment=SegmentFactory(rules=GOTHENBURG)
    )
    BonusPeriodFactory(
        name="Last month",
        multiplier=Decimal("4"),
        starts_at=now - datetime.timedelta(days=40),
        ends_at=now - datetime.timedelta(days=30),
    )
    ActivityRuleFactory(activity="referral_purchase", points=75)
    staff = StaffFactory()
    staff.user_permissions.add(Permission.objects.get(codename="adjust_points"))
    return {"now": now, "store": store, "staff": staff}


def _in_debt(member, staff):
    """Earn 1000 points, spend them, then return the purchase: 1000 points of debt."""
    original, _created = purchase_record(
        member=member,
        purchased_at=timezone.now() - datetime.timedelta(days=2),
        amount=Decimal("1000"),
        currency="SEK",
        channel="store",
        store="gbg",
        source="setup",
        external_id=f"setup-{member.pk}",
    )
    points_adjust(
        member=member, points=-3000, reason="Spent", actor=staff, idempotency_key=f"s{member.pk}"
    )
    purchase_record(
        member=member,
        purchased_at=timezone.now() - datetime.timedelta(days=1),
        amount=Decimal("-1000"),
        currency="SEK",
        channel="store",
        store="gbg",
        source="setup",
        external_id=f"setup-return-{member.pk}",
        original=original,
    )


def _twins(world):
    """(batch twin, single twin) pairs of each kind of member."""
    pairs = []
    for kind in ("plain", "debt", "gothenburg", "referred", "near-tier"):
        pair = []
        for _twin in range(2):
            referrer = MemberFactory() if kind == "referred" else None
            member = MemberFactory(
                city="Göteborg" if kind == "gothenburg" else "Malmö", referred_by=referrer
            )
            if kind == "debt":
                _in_debt(member, world["staff"])
            if kind == "near-tier":
                points_adjust(
                    member=member,
                    points=480,
                    reason="Welcome",
                    actor=world["staff"],
                    idempotency_key=f"w{member.pk}",
                )
            pair.append(member)
        pairs.append(tuple(pair))
    return pairs


def _rows(member, prefix, now):
    at = (now - datetime.timedelta(hours=1)).isoformat()
    past = (now - datetime.timedelta(days=35)).isoformat()
    common = {"member": member.number, "source": "pos", "currency": "SEK"}
    return [
        {**common, "external_id": f"{prefix}-1", "purchased_at": at, "amount": "333.33",
         "channel": "online"},
        {**common, "external_id": f"{prefix}-2", "purchased_at": at, "amount": "120",
         "channel": "store", "store": "gbg"},
        {**common, "external_id": f"{prefix}-3", "purchased_at": past, "amount": "99.90",
         "channel": "store", "store": "gbg"},
        {**common, "external_id": f"{prefix}-4", "purchased_at": at, "amount": "-100",
         "channel": "online", "original_external_id": f"{prefix}-1"},
        {**common, "external_id": f"{prefix}-5", "purchased_at": at, "amount": "700",
         "channel": "online", "currency": "NOK"},
        {**common, "external_id": f"{prefix}-6", "purchased_at": at, "amount": "1999.99",
         "channel": "online"},
        {**common, "external_id": f"{prefix}-7", "purchased_at": at, "amount": "50",
         "channel": "online"},
    ]  # fmt: skip


def _one_by_one(rows):
    for row in rows:
        original = None
        if row.get("original_external_id"):
            original = Purchase.objects.get(source="pos", external_id=row["original_external_id"])
        purchase_record(
            member=row["member"],
            purchased_at=row["purchased_at"],
            amount=row["amount"],
            currency=row["currency"],
            channel=row["channel"],
            store=row.get("store"),
            source=row["source"],
            external_id=row["external_id"],
            original=original,
        )


def _ledger(member, prefix):
    """Per purchase of the batch (by its position): the entries it caused."""
    rows = []
    for position in range(1, 8):
        purchase = Purchase.objects.get(source="pos", external_id=f"{prefix}-{position}")
        entries = PointsEntry.objects.filter(
            member=member, idempotency_key__startswith=f"purchase:{purchase.pk}:"
        )
        rows.append(
            sorted(
                (e.kind, e.amount, e.debt_change, e.qualifying, e.reason, e.reason_params)
                for e in entries
            )
        )
    account = PointsAccount.objects.get(member=member)
    tiers = list(
        TierChange.objects.filter(member=member).order_by("pk").values_list("to_tier__order")
    )
    return rows, (account.balance, account.debt, account.tier_id), tiers


def test_a_batch_earns_exactly_what_one_by_one_earning_gives(world):
    pairs = _twins(world)
    batch_rows = []
    for index, (batch_twin, single_twin) in enumerate(pairs):
        batch_rows += _rows(batch_twin, f"b{index}", world["now"])
        _one_by_one(_rows(single_twin, f"s{index}", world["now"]))

    results = purchases_ingest(rows=batch_rows)

    assert [r.status for r in results] == ["created"] * len(batch_rows)
    for index, (batch_twin, single_twin) in enumerate(pairs):
        assert _ledger(batch_twin, f"b{index}") == _ledger(single_twin, f"s{index}"), index
        if batch_twin.referred_by_id:
            assert PointsAccount.objects.get(member=batch_twin.referred_by).balance == 75
    assert TierChange.objects.exists()
    assert_ledger_consistent()


def test_a_batch_earns_nothing_twice_for_purchases_already_earned(world):
    member = MemberFactory()
    rows = _rows(member, "x", world["now"])
    purchases_ingest(rows=rows)
    before = list(PointsEntry.objects.values_list("pk", flat=True))
    for purchase in Purchase.objects.filter(source="pos"):
        points_earn_for_purchase(purchase=purchase)

    again = purchases_ingest(rows=rows)

    assert {r.status for r in again} == {"already_recorded"}
    assert list(PointsEntry.objects.values_list("pk", flat=True)) == before
    assert_ledger_consistent()
