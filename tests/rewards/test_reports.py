"""The liability report, reward rates and the bulk adjustment of a segment's points."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.utils import timezone

from core.models import AuditLogEntry
from rewards.models import PointsEntry, PointsLot, Redemption
from rewards.selectors.reports import points_liability, reward_rates_list
from rewards.services.bulk import points_bulk_adjust_run, points_bulk_adjust_start
from rewards.services.ledger import points_award, points_expire_due
from rewards.services.redemptions import redemption_cancel, redemption_fulfil, reward_redeem
from tests.members.factories import MemberFactory, SegmentFactory, StaffFactory

from .factories import RewardFactory
from .helpers import assert_ledger_consistent, balance_of

pytestmark = pytest.mark.django_db

IN_UMEA = {"op": "and", "rules": [{"field": "city", "operator": "eq", "value": "Umeå"}]}


def award(member, points, key, **kwargs):
    return points_award(member=member, points=points, reason="Test", idempotency_key=key, **kwargs)


def test_liability_sums_balances_values_them_and_buckets_expiry(settings):
    settings.REWARDS_POINT_VALUE_SEK = "0.05"
    first, second = MemberFactory(), MemberFactory()
    award(first, 300, "a", expires_on=datetime.date(2027, 12, 31))
    award(second, 200, "b", expires_on=datetime.date(2028, 12, 31))
    award(second, 100, "c", expires_on=None)
    old = award(first, 50, "d", expires_on=datetime.date(2020, 12, 31))
    points_expire_due(today=datetime.date(2026, 1, 1))
    reward_redeem(member=first, reward=RewardFactory(points_cost=100), idempotency_key="r")

    liability = points_liability()

    assert liability.points == 500 and liability.members == 2
    assert liability.value == Decimal("25.00")
    assert liability.earned == 650 and liability.expired == 50 and liability.redeemed == 100
    assert liability.breakage_rate == pytest.approx(50 / 650)
    assert [(b.year, b.month, b.points) for b in liability.buckets] == [
        (2027, 12, 200),
        (2028, 12, 200),
        (None, None, 100),
    ]
    assert PointsLot.objects.get(entry=old).remaining == 0


def test_cancelled_redemptions_do_not_count_as_redeemed():
    member = MemberFactory()
    award(member, 1000, "a")
    reward = RewardFactory(points_cost=100)
    redemption = reward_redeem(member=member, reward=reward, idempotency_key="1")
    redemption_cancel(redemption=redemption, actor=StaffFactory(is_superuser=True))

    assert points_liability().redeemed == 0


def test_reward_rates_count_fulfilled_and_lapsed_in_one_query(django_assert_num_queries):
    member = MemberFactory()
    award(member, 10_000, "a")
    voucher = RewardFactory(points_cost=10, voucher_valid_days=30)
    unused = RewardFactory(points_cost=10)
    used = reward_redeem(member=member, reward=voucher, idempotency_key="1")
    redemption_fulfil(redemption=used)
    lapsed = reward_redeem(member=member, reward=voucher, idempotency_key="2")
    Redemption.objects.filter(pk=lapsed.pk).update(
        voucher_valid_until=timezone.localdate() - datetime.timedelta(days=1)
    )
    reward_redeem(member=member, reward=voucher, idempotency_key="3")
    cancelled = reward_redeem(member=member, reward=voucher, idempotency_key="4")
    redemption_cancel(redemption=cancelled, actor=StaffFactory(is_superuser=True))

    with django_assert_num_queries(1):
        rates = {rate.reward.pk: rate for rate in reward_rates_list()}

    rate = rates[voucher.pk]
    assert (rate.redeemed, rate.cancelled, rate.fulfilled, rate.lapsed) == (3, 1, 1, 1)
    assert rate.points_spent == 30
    assert rate.fulfilment_rate == pytest.approx(1 / 3)
    assert rate.breakage_rate == pytest.approx(1 / 3)
    assert rates[unused.pk].redeemed == 0 and rates[unused.pk].breakage_rate is None


def test_bulk_adjustment_freezes_the_segment_adjusts_each_member_once_and_audits():
    staff = StaffFactory(is_superuser=True)
    segment = SegmentFactory(rules=IN_UMEA)
    insiders = [MemberFactory(city="Umeå") for _ in range(3)]
    outsider = MemberFactory(city="Lund")

    plan = points_bulk_adjust_start(segment=segment, points=150, reason="Sorry!", actor=staff)
    MemberFactory(city="Umeå")  # joins after the freeze: not adjusted
    result = points_bulk_adjust_run(
        batch=plan.batch,
        snapshot_id=plan.snapshot_id,
        points=150,
        reason="Sorry!",
        actor_id=staff.pk,
    )
    again = points_bulk_adjust_run(
        batch=plan.batch,
        snapshot_id=plan.snapshot_id,
        points=150,
        reason="Sorry!",
        actor_id=staff.pk,
    )

    assert plan.members == 3 and result.adjusted == 3 and again.adjusted == 3
    assert [balance_of(m) for m in insiders] == [150, 150, 150]
    assert balance_of(outsider) == 0
    assert PointsEntry.objects.filter(kind="adjust").count() == 3
    assert AuditLogEntry.objects.filter(action="points.bulk_adjust").count() == 1
    assert_ledger_consistent()


def test_bulk_removal_skips_members_with_too_few_points():
    staff = StaffFactory(is_superuser=True)
    rich, poor = MemberFactory(city="Umeå"), MemberFactory(city="Umeå")
    award(rich, 500, "r")
    plan = points_bulk_adjust_start(
        segment=SegmentFactory(rules=IN_UMEA), points=-200, reason="Correction", actor=staff
    )

    result = points_bulk_adjust_run(
        batch=plan.batch,
        snapshot_id=plan.snapshot_id,
        points=-200,
        reason="Correction",
        actor_id=staff.pk,
    )

    assert (result.adjusted, result.skipped) == (1, 1)
    assert balance_of(rich) == 300 and balance_of(poor) == 0
    assert_ledger_consistent()


@pytest.mark.parametrize(
    ("points", "reason", "message"),
    [
        (0, "x", "zero"),
        ("many", "x", "whole number"),
        (1.5, "x", "whole number"),
        (100, "", "reason"),
    ],
)
def test_bulk_adjustment_refuses_bad_input_and_writes_nothing(points, reason, message):
    MemberFactory(city="Umeå")
    with pytest.raises(ValidationError) as error:
        points_bulk_adjust_start(
            segment=SegmentFactory(rules=IN_UMEA),
            points=points,
            reason=reason,
            actor=StaffFactory(is_superuser=True),
        )
    assert message in " ".join(error.value.messages).lower()
    assert not AuditLogEntry.objects.filter(action="points.bulk_adjust").exists()


def test_bulk_adjustment_needs_the_permission():
    with pytest.raises(PermissionError):
        points_bulk_adjust_start(
            segment=SegmentFactory(), points=10, reason="x", actor=StaffFactory()
        )


def test_an_empty_segment_is_refused():
    with pytest.raises(ValidationError, match="no members"):
        points_bulk_adjust_start(
            segment=SegmentFactory(rules=IN_UMEA),
            points=10,
            reason="x",
            actor=StaffFactory(is_superuser=True),
        )


@pytest.fixture
def admin_client(client, settings):
    settings.STAFF_MFA_REQUIRED = False
    client.force_login(StaffFactory(is_superuser=True))
    return client


def test_report_page_shows_the_figures(admin_client):
    member = MemberFactory()
    award(member, 1234, "a")
    RewardFactory(name_en="Cooking class", name_sv="Matlagningskurs")

    response = admin_client.get("/admin/rewards/pointsaccount/report/")

    assert response.status_code == 200
    assert "1234" in response.text
    assert "Matlagningskurs" in response.text or "Cooking class" in response.text
    listing = admin_client.get("/admin/rewards/pointsaccount/")
    assert "/admin/rewards/pointsaccount/report/" in listing.text
    assert "/admin/rewards/pointsaccount/bulk-adjust/" in listing.text


def test_bulk_adjust_page_checks_then_confirms(admin_client, django_capture_on_commit_callbacks):
    segment = SegmentFactory(name="Umeåborna", rules=IN_UMEA)
    members = [MemberFactory(city="Umeå") for _ in range(2)]
    data = {"segment": segment.pk, "points": 40, "reason": "Välkomstgåva"}

    check = admin_client.post("/admin/rewards/pointsaccount/bulk-adjust/", data)
    assert check.status_code == 200
    assert "2 members" in check.text or "2 medlemmar" in check.text
    assert not PointsEntry.objects.exists()

    with django_capture_on_commit_callbacks(execute=True):
        done = admin_client.post(
            "/admin/rewards/pointsaccount/bulk-adjust/", {**data, "confirmed": "1"}
        )
    assert done.status_code == 302
    assert [balance_of(m) for m in members] == [40, 40]

    zero = admin_client.post("/admin/rewards/pointsaccount/bulk-adjust/", {**data, "points": 0})
    assert zero.status_code == 200 and "errorlist" in zero.text


def test_marketers_see_the_report_but_cannot_bulk_adjust(client, settings):
    settings.STAFF_MFA_REQUIRED = False
    marketer = StaffFactory()
    marketer.groups.add(Group.objects.get(name="marketer"))
    client.force_login(marketer)

    report = client.get("/admin/rewards/pointsaccount/report/")
    bulk = client.get("/admin/rewards/pointsaccount/bulk-adjust/")

    assert bulk.status_code == 403
    assert report.status_code == 200  # marketers may view points accounts
    assert "bulk-adjust" not in client.get("/admin/rewards/pointsaccount/").text
