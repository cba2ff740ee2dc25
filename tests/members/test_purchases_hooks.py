"""End to end: rewards registers its earning with members.hooks, so recording a purchase through
members' service gives the member points and a return takes them back."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from members import hooks
from members.services.purchases import purchase_record
from rewards.models import PointsEntry
from rewards.services.earning import points_earn_for_purchase
from tests.members.factories import MemberFactory, StoreFactory
from tests.rewards.helpers import assert_ledger_consistent, balance_of

pytestmark = pytest.mark.django_db


def test_rewards_registers_its_earning_hook():
    assert points_earn_for_purchase in hooks.purchase_recorded_hooks()


def test_a_recorded_purchase_earns_points_and_a_return_takes_them_back(settings):
    # given the default rate of 1 point per SEK and no earning rules
    settings.REWARDS_DEFAULT_POINTS_PER_SEK = "1"
    settings.DEFAULT_CURRENCY = "SEK"
    member, store = MemberFactory(), StoreFactory()
    when = timezone.now() - datetime.timedelta(hours=2)

    # when a purchase of 500 SEK is recorded through members' service
    purchase, _ = purchase_record(
        member=member,
        purchased_at=when,
        amount=Decimal("500.00"),
        currency="SEK",
        channel="store",
        store=store,
        source="pos",
        external_id="kvitto-77",
    )

    # then the member has 500 points in rewards' ledger
    assert balance_of(member) == 500
    assert PointsEntry.objects.filter(member=member, kind=PointsEntry.Kind.EARN).count() == 1

    # when the same receipt is sent again, nothing more is earned
    purchase_record(
        member=member,
        purchased_at=when,
        amount=Decimal("500.00"),
        currency="SEK",
        channel="store",
        store=store,
        source="pos",
        external_id="kvitto-77",
    )
    assert balance_of(member) == 500

    # when 200 SEK of it is returned
    purchase_record(
        member=member,
        purchased_at=when + datetime.timedelta(hours=1),
        amount=Decimal("-200.00"),
        currency="SEK",
        channel="store",
        store=store,
        source="pos",
        external_id="retur-77",
        original=purchase,
    )

    # then the return's share of the points is taken back
    assert balance_of(member) == 300
    assert_ledger_consistent()
