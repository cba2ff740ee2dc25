"""Bonus periods: extra points for purchases within a window, for a segment or everyone."""

import datetime
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.utils import timezone

from rewards.models import BonusPeriod, PointsAccount
from rewards.services.earning import bonus_period_for_purchase, points_earn_for_purchase
from tests.members.factories import (
    MemberFactory,
    PurchaseFactory,
    SegmentFactory,
    StaffFactory,
    StoreFactory,
)

from .factories import EarningRuleFactory, TierFactory
from .factories_earning import ActivityRuleFactory, BonusPeriodFactory
from .helpers import assert_ledger_consistent

pytestmark = pytest.mark.django_db

GOTHENBURG = {"op": "and", "rules": [{"field": "city", "operator": "eq", "value": "Göteborg"}]}


@pytest.fixture(autouse=True)
def one_point_per_sek():
    EarningRuleFactory(points_per_sek=Decimal("1"))


def test_a_purchase_inside_the_window_earns_the_bonus_and_says_so():
    BonusPeriodFactory(name="Double points week", multiplier=Decimal("2.00"))
    purchase = PurchaseFactory(amount=Decimal("500"))

    entry = points_earn_for_purchase(purchase=purchase)

    assert entry.amount == 1000
    assert entry.reason_display == "Purchase of 500.00 SEK (Double points week ×2)"
    assert entry.reason_params["bonus"] == "Double points week"
    assert_ledger_consistent()


def test_purchases_outside_the_window_or_in_an_inactive_bonus_earn_the_base_points():
    now = timezone.now()
    BonusPeriodFactory(
        starts_at=now - datetime.timedelta(days=10), ends_at=now - datetime.timedelta(days=3)
    )
    BonusPeriodFactory(
        starts_at=now + datetime.timedelta(days=1), ends_at=now + datetime.timedelta(days=3)
    )
    BonusPeriodFactory(multiplier=Decimal("5"), is_active=False)
    at_end = BonusPeriodFactory(
        starts_at=now - datetime.timedelta(days=30), ends_at=now - datetime.timedelta(days=20)
    )
    today = PurchaseFactory(amount=Decimal("100"))
    exactly_at_end = PurchaseFactory(amount=Decimal("100"), purchased_at=at_end.ends_at)
    exactly_at_start = PurchaseFactory(amount=Decimal("100"), purchased_at=at_end.starts_at)

    assert points_earn_for_purchase(purchase=today).amount == 100
    assert points_earn_for_purchase(purchase=exactly_at_end).amount == 100
    assert points_earn_for_purchase(purchase=exactly_at_start).amount == 200
    assert points_earn_for_purchase(purchase=today).reason_display == "Purchase of 100.00 SEK"
    assert_ledger_consistent()


def test_a_segment_bonus_applies_only_to_members_of_the_segment():
    BonusPeriodFactory(segment=SegmentFactory(rules=GOTHENBURG), multiplier=Decimal("3"))
    insider = MemberFactory(city="Göteborg")
    outsider = MemberFactory(city="Malmö")

    inside = points_earn_for_purchase(purchase=PurchaseFactory(member=insider, amount=100))
    outside = points_earn_for_purchase(purchase=PurchaseFactory(member=outsider, amount=100))

    assert (inside.amount, outside.amount) == (300, 100)
    assert_ledger_consistent()


def test_the_highest_applicable_bonus_wins_and_bonuses_do_not_compound():
    store = StoreFactory()
    BonusPeriodFactory(name="Everyone", multiplier=Decimal("1.50"))
    BonusPeriodFactory(
        name="Göteborg", multiplier=Decimal("2.00"), segment=SegmentFactory(rules=GOTHENBURG)
    )
    BonusPeriodFactory(name="Other store", multiplier=Decimal("4.00"), store=StoreFactory())
    BonusPeriodFactory(name="Online only", multiplier=Decimal("5.00"), channel="online")
    member = MemberFactory(city="Göteborg")

    entry = points_earn_for_purchase(
        purchase=PurchaseFactory(member=member, amount=100, store=store, channel="store")
    )

    assert entry.amount == 200
    assert entry.reason_params["bonus"] == "Göteborg"


def test_a_member_outside_the_best_bonus_segment_gets_the_next_best(
    django_assert_max_num_queries,
):
    BonusPeriodFactory(name="Everyone", multiplier=Decimal("1.50"))
    BonusPeriodFactory(multiplier=Decimal("3"), segment=SegmentFactory(rules=GOTHENBURG))
    BonusPeriodFactory(multiplier=Decimal("2.5"), segment=SegmentFactory(rules=GOTHENBURG))
    purchase = PurchaseFactory(member=MemberFactory(city="Malmö"), amount=100)

    with django_assert_max_num_queries(2):  # candidates, then every segment at once
        bonus = bonus_period_for_purchase(purchase=purchase, member=purchase.member)

    assert bonus.name == "Everyone"
    assert points_earn_for_purchase(purchase=purchase).amount == 150


def test_the_tier_multiplier_still_applies_on_top_of_the_bonus():
    member = MemberFactory()
    tier = TierFactory(multiplier=Decimal("1.25"), threshold=0)
    PointsAccount.objects.create(member=member, tier=tier)
    BonusPeriodFactory(multiplier=Decimal("2"))

    entry = points_earn_for_purchase(purchase=PurchaseFactory(member=member, amount=100))

    assert entry.amount == 250
    assert_ledger_consistent()


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"multiplier": Decimal("1.00")}, "multiplier", "The multiplier must be more than 1"),
        ({"multiplier": Decimal("0.50")}, "multiplier", "The multiplier must be more than 1"),
        ({"ends_offset": -1}, "ends_at", "The bonus period must end after it starts."),
        ({"ends_offset": 0}, "ends_at", "The bonus period must end after it starts."),
    ],
)
def test_bad_bonus_periods_are_refused_with_a_clear_message(changes, field, message):
    bonus = BonusPeriodFactory.build(multiplier=changes.get("multiplier", Decimal("2")))
    if "ends_offset" in changes:
        bonus.ends_at = bonus.starts_at + datetime.timedelta(hours=changes["ends_offset"])

    with pytest.raises(ValidationError) as caught:
        bonus.full_clean()

    assert message in " ".join(caught.value.message_dict[field])


# --- Admin and roles ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "may_add"), [("marketer", True), ("club admin", True), ("store staff", False)]
)
def test_roles_see_the_earning_rule_admins_and_only_managers_add(client, settings, role, may_add):
    settings.STAFF_MFA_REQUIRED = False
    staff = StaffFactory()
    staff.groups.add(Group.objects.get(name=role))
    client.force_login(staff)
    BonusPeriodFactory(name="Double points week")
    ActivityRuleFactory(activity="birthday")

    bonuses = client.get("/admin/rewards/bonusperiod/?q=Double")
    rules = client.get("/admin/rewards/activityrule/?activity__exact=birthday")

    assert bonuses.status_code == 200 and "Double points week" in bonuses.content.decode()
    assert rules.status_code == 200 and "Birthday" in rules.content.decode()
    expected = 200 if may_add else 403
    assert client.get("/admin/rewards/bonusperiod/add/").status_code == expected
    assert client.get("/admin/rewards/activityrule/add/").status_code == expected


def test_the_admin_refuses_a_bonus_period_ending_before_it_starts(client, settings):
    settings.STAFF_MFA_REQUIRED = False
    client.force_login(StaffFactory(is_superuser=True))

    response = client.post(
        "/admin/rewards/bonusperiod/add/",
        {
            "name": "Backwards",
            "multiplier": "2",
            "is_active": "on",
            "starts_at_0": "2026-12-10",
            "starts_at_1": "10:00",
            "ends_at_0": "2026-12-01",
            "ends_at_1": "10:00",
            "channel": "",
        },
    )

    assert response.status_code == 200
    assert "The bonus period must end after it starts." in response.content.decode()
    assert not BonusPeriod.objects.exists()
