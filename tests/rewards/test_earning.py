"""Points for purchases: rules by channel and store, tier multipliers, returns and debt."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from rewards.models import PointsAccount, PointsEntry
from rewards.services.earning import points_earn_for_purchase
from rewards.services.ledger import points_debit
from tests.members.factories import MemberFactory, PurchaseFactory, StoreFactory

from .factories import EarningRuleFactory, TierFactory
from .helpers import assert_ledger_consistent, balance_of

pytestmark = pytest.mark.django_db


def _return(original, amount, **kwargs):
    return PurchaseFactory(
        member=original.member,
        amount=-Decimal(amount),
        original=original,
        channel=original.channel,
        store=original.store,
        **kwargs,
    )


def test_a_purchase_earns_the_default_rate_without_rules(settings):
    settings.REWARDS_DEFAULT_POINTS_PER_SEK = "1"
    purchase = PurchaseFactory(amount=Decimal("499.90"))

    entry = points_earn_for_purchase(purchase=purchase)

    assert entry.amount == 499  # whole points, rounded down
    assert entry.cause_type.model == "purchase" and entry.cause_id == purchase.pk
    assert entry.reason_display == "Purchase of 499.90 SEK"


def test_the_most_specific_rule_wins():
    store, other_store = StoreFactory(), StoreFactory()
    EarningRuleFactory(points_per_sek=Decimal("1"))
    EarningRuleFactory(channel="online", points_per_sek=Decimal("2"))
    EarningRuleFactory(store=store, points_per_sek=Decimal("3"))
    EarningRuleFactory(store=store, points_per_sek=Decimal("9"), is_active=False)
    EarningRuleFactory(
        points_per_sek=Decimal("50"),
        valid_until=timezone.now() - datetime.timedelta(days=1),
        valid_from=timezone.now() - datetime.timedelta(days=9),
    )

    in_store = PurchaseFactory(amount=100, store=store, channel="store")
    online = PurchaseFactory(amount=100, store=other_store, channel="online")
    elsewhere = PurchaseFactory(amount=100, store=other_store, channel="store")

    assert points_earn_for_purchase(purchase=in_store).amount == 300
    assert points_earn_for_purchase(purchase=online).amount == 200
    assert points_earn_for_purchase(purchase=elsewhere).amount == 100


def test_earning_twice_for_a_purchase_earns_once():
    purchase = PurchaseFactory(amount=200)
    first = points_earn_for_purchase(purchase=purchase)
    second = points_earn_for_purchase(purchase=purchase)
    assert first.pk == second.pk
    assert balance_of(purchase.member) == 200


def test_other_currencies_and_erased_members_earn_nothing():
    assert points_earn_for_purchase(purchase=PurchaseFactory(currency="EUR")) is None
    erased = MemberFactory(status="erased", erased_at=timezone.now())
    assert points_earn_for_purchase(purchase=PurchaseFactory(member=erased)) is None
    assert PointsEntry.objects.count() == 0


def test_tier_multiplier_applies():
    member = MemberFactory()
    silver = TierFactory(threshold=100, multiplier=Decimal("1.5"))
    points_earn_for_purchase(purchase=PurchaseFactory(member=member, amount=100))
    assert PointsAccount.objects.get(member=member).tier == silver

    entry = points_earn_for_purchase(purchase=PurchaseFactory(member=member, amount=100))

    assert entry.amount == 150


def test_a_return_takes_back_its_share_from_the_purchase_lot():
    member = MemberFactory()
    purchase = PurchaseFactory(member=member, amount=400)
    earned = points_earn_for_purchase(purchase=purchase)

    first = points_earn_for_purchase(purchase=_return(purchase, 100))
    second = points_earn_for_purchase(purchase=_return(purchase, 300))
    third = points_earn_for_purchase(purchase=_return(purchase, 50))  # more than was bought

    assert (first.kind, first.amount, first.qualifying, first.reverses) == (
        "reverse",
        -100,
        -100,
        earned,
    )
    assert second.amount == -300
    assert third is None
    assert balance_of(member) == 0
    assert_ledger_consistent()


def test_a_return_after_spending_becomes_debt_paid_off_by_later_earnings():
    member = MemberFactory()
    purchase = PurchaseFactory(member=member, amount=1000)
    points_earn_for_purchase(purchase=purchase)
    points_debit(member=member, points=900, reason="Gift card", idempotency_key="spend")

    taken = points_earn_for_purchase(purchase=_return(purchase, 1000))

    assert (taken.amount, taken.debt_change) == (-100, 900)
    account = PointsAccount.objects.get(member=member)
    assert (account.balance, account.debt) == (0, 900)

    later = points_earn_for_purchase(purchase=PurchaseFactory(member=member, amount=1200))

    assert (later.amount, later.debt_change) == (300, -900)
    account.refresh_from_db()
    assert (account.balance, account.debt) == (300, 0)
    assert_ledger_consistent()


def test_the_return_is_idempotent():
    purchase = PurchaseFactory(amount=100)
    points_earn_for_purchase(purchase=purchase)
    returned = _return(purchase, 40)
    assert points_earn_for_purchase(purchase=returned).pk == (
        points_earn_for_purchase(purchase=returned).pk
    )
    assert balance_of(purchase.member) == 60
