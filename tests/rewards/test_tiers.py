"""Tiers count points earned in a rolling 12 months: up at once, down only at the yearly review
after a grace period; every change logged."""

import datetime

import pytest
from django.utils import timezone

from rewards.models import PointsAccount, PointsEntry, TierChange
from rewards.selectors.ledger import points_summary
from rewards.services.ledger import points_award, points_debit
from rewards.services.tiers import tiers_review
from tests.members.factories import MemberFactory

from .factories import TierFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def tiers():
    return (
        TierFactory(order=1, threshold=0, name_en="Bas"),
        TierFactory(order=2, threshold=1000, name_en="Silver"),
        TierFactory(order=3, threshold=5000, name_en="Gold"),
    )


def _account(member):
    return PointsAccount.objects.select_related("tier").get(member=member)


def test_upgrade_as_soon_as_the_threshold_is_passed(tiers):
    bas, silver, _gold = tiers
    member = MemberFactory()
    points_award(member=member, points=600, reason="x", idempotency_key="a")
    assert _account(member).tier == bas
    points_award(member=member, points=600, reason="x", idempotency_key="b")

    account = _account(member)
    assert account.tier == silver
    assert account.tier_review_on.year == timezone.localdate().year + 1
    log = list(TierChange.objects.filter(member=member).order_by("id"))
    assert [(c.from_tier, c.to_tier, c.reason) for c in log] == [
        (None, bas, "upgrade"),
        (bas, silver, "upgrade"),
    ]
    assert log[-1].points_12m == 1200


def test_spending_points_never_demotes(tiers):
    member = MemberFactory()
    points_award(member=member, points=1200, reason="x", idempotency_key="a")
    points_debit(member=member, points=1200, reason="y", idempotency_key="b")
    assert _account(member).tier == tiers[1]
    summary = points_summary(member=member)
    assert (summary.balance, summary.earned_12m, summary.next_tier) == (0, 1200, tiers[2])
    assert summary.points_to_next_tier == 3800 and summary.progress_percent == 5


def test_points_older_than_a_year_do_not_count(tiers):
    member = MemberFactory()
    entry = points_award(member=member, points=900, reason="x", idempotency_key="a")
    PointsEntry.objects.filter(pk=entry.pk).update(
        created_at=timezone.now() - datetime.timedelta(days=400)
    )
    points_award(member=member, points=200, reason="x", idempotency_key="b")
    assert _account(member).tier == tiers[0]


def test_yearly_review_keeps_grants_grace_then_downgrades(tiers, settings):
    settings.REWARDS_TIER_GRACE_DAYS = 30
    bas, silver, _gold = tiers
    keeper, slipper = MemberFactory(), MemberFactory()
    for member in (keeper, slipper):
        points_award(member=member, points=1500, reason="x", idempotency_key=f"a{member.pk}")
    # A year later: the slipper's points are older than 12 months, the keeper earned again.
    PointsEntry.objects.filter(member=slipper).update(
        created_at=timezone.now() - datetime.timedelta(days=370)
    )
    review_day = _account(keeper).tier_review_on

    first = tiers_review(today=review_day)
    again = tiers_review(today=review_day)

    assert (first.kept, first.grace_started, first.downgraded) == (1, 1, 0)
    assert (again.kept, again.grace_started, again.downgraded) == (0, 0, 0)
    assert _account(slipper).tier == silver  # still silver during the grace period
    assert _account(slipper).tier_grace_until == review_day + datetime.timedelta(days=30)

    after_grace = tiers_review(today=review_day + datetime.timedelta(days=30))

    assert after_grace.downgraded == 1
    account = _account(slipper)
    assert account.tier == bas and account.tier_grace_until is None
    assert _account(keeper).tier == silver
    reasons = list(
        TierChange.objects.filter(member=slipper).order_by("id").values_list("reason", flat=True)
    )
    assert reasons == ["upgrade", "grace", "downgrade"]


def test_earning_back_during_grace_keeps_the_tier(tiers):
    member = MemberFactory()
    points_award(member=member, points=1500, reason="x", idempotency_key="a")
    PointsEntry.objects.filter(member=member).update(
        created_at=timezone.now() - datetime.timedelta(days=370)
    )
    review_day = _account(member).tier_review_on
    tiers_review(today=review_day)
    points_award(member=member, points=1000, reason="x", idempotency_key="b")

    result = tiers_review(today=review_day + datetime.timedelta(days=31))

    assert result.kept == 1 and _account(member).tier == tiers[1]
    assert _account(member).tier_grace_until is None
