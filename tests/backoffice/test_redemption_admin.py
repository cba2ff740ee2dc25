"""A redemption's own page: fulfil and cancel-with-reason buttons through the services; internal
fields under "Technical details"."""

from __future__ import annotations

import pytest

from core.models import AuditLogEntry
from rewards.models import PointsAccount, Redemption
from rewards.services.ledger import points_award
from rewards.services.redemptions import reward_redeem
from tests.members.factories import MemberFactory
from tests.rewards.factories import RewardFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def redemption():
    member = MemberFactory()
    points_award(member=member, points=500, reason="x", idempotency_key="seed")
    return reward_redeem(member=member, reward=RewardFactory(points_cost=200), idempotency_key="k")


def test_page_offers_the_actions_and_hides_internals(club_admin, redemption):
    html = club_admin.get(f"/admin/rewards/redemption/{redemption.pk}/change/").content.decode()
    assert f"/admin/rewards/redemption/{redemption.pk}/fulfil/" in html
    assert f"/admin/rewards/redemption/{redemption.pk}/cancel/" in html
    assert "collapse" in html.split("idempotency")[0][-2000:]


def test_fulfil_button(club_admin, redemption):
    response = club_admin.post(f"/admin/rewards/redemption/{redemption.pk}/fulfil/")
    assert response.status_code == 302
    redemption.refresh_from_db()
    assert redemption.status == Redemption.Status.FULFILLED
    assert AuditLogEntry.objects.filter(action="redemption.fulfil").exists()


def test_cancel_needs_a_reason_and_keeps_it(club_admin, redemption):
    url = f"/admin/rewards/redemption/{redemption.pk}/cancel/"
    assert club_admin.get(url).status_code == 200
    # without a reason: the form again, nothing written
    assert club_admin.post(url, {"reason": "  "}).status_code == 200
    redemption.refresh_from_db()
    assert redemption.status == Redemption.Status.PENDING
    # with a reason: cancelled, points back, reason kept and audited
    assert club_admin.post(url, {"reason": "Out of stock at the partner"}).status_code == 302
    redemption.refresh_from_db()
    assert redemption.status == Redemption.Status.CANCELLED
    assert redemption.cancel_reason == "Out of stock at the partner"
    assert PointsAccount.objects.get(member=redemption.member).balance == 500
    entry = AuditLogEntry.objects.get(action="redemption.cancel")
    assert entry.details["reason"] == "Out of stock at the partner"


def test_fulfilled_redemption_offers_no_actions_and_refuses_cancel(club_admin, redemption):
    club_admin.post(f"/admin/rewards/redemption/{redemption.pk}/fulfil/")
    html = club_admin.get(f"/admin/rewards/redemption/{redemption.pk}/change/").content.decode()
    assert "/cancel/" not in html
    club_admin.post(f"/admin/rewards/redemption/{redemption.pk}/cancel/", {"reason": "x"})
    redemption.refresh_from_db()
    assert redemption.status == Redemption.Status.FULFILLED


def test_marketer_may_neither_fulfil_nor_cancel(marketer, redemption):
    assert marketer.post(f"/admin/rewards/redemption/{redemption.pk}/fulfil/").status_code == 403
    assert (
        marketer.post(
            f"/admin/rewards/redemption/{redemption.pk}/cancel/", {"reason": "x"}
        ).status_code
        == 403
    )
    redemption.refresh_from_db()
    assert redemption.status == Redemption.Status.PENDING


def test_fulfil_by_get_changes_nothing(club_admin, redemption):
    club_admin.get(f"/admin/rewards/redemption/{redemption.pk}/fulfil/")
    redemption.refresh_from_db()
    assert redemption.status == Redemption.Status.PENDING


def test_member_360_shows_points_tier_vouchers_and_adjust(club_admin, redemption):
    member = redemption.member
    html = club_admin.get(f"/admin/members/member/{member.pk}/360/").content.decode()
    assert redemption.voucher_code in html
    assert f"/admin/rewards/pointsaccount/{member.pk}/adjust/?next=360" in html
    assert "300" in html  # 500 earned, 200 redeemed


def test_adjust_from_360_returns_to_360_and_works_without_an_account(club_admin):
    member = MemberFactory()
    url = f"/admin/rewards/pointsaccount/{member.pk}/adjust/?next=360"
    assert club_admin.get(url).status_code == 200
    response = club_admin.post(url, {"points": 40, "reason": "Welcome gift", "key": "k-360"})
    assert response["Location"] == f"/admin/members/member/{member.pk}/360/"
    assert PointsAccount.objects.get(member=member).balance == 40


def test_marketer_sees_no_adjust_button(marketer, redemption):
    html = marketer.get(f"/admin/members/member/{redemption.member.pk}/360/").content.decode()
    assert "/adjust/" not in html


def test_scores_are_explained_in_words():
    import datetime
    from decimal import Decimal

    from django.utils import timezone

    from members.models import MemberScore
    from members.selectors.scores import member_score_explained

    score = MemberScore(
        member=MemberFactory(),
        computed_at=timezone.now(),
        purchase_count=4,
        purchase_count_12m=3,
        total_spend=Decimal("2000"),
        spend_12m=Decimal("1500"),
        average_order_value=Decimal("500"),
        recency_score=2,
        frequency_score=4,
        monetary_score=5,
        churn_risk=Decimal("0.8"),
        clv_predicted_12m=Decimal("300"),
        days_since_last_purchase=120,
        last_purchase_at=timezone.now() - datetime.timedelta(days=120),
        preferred_channel="store",
    )
    text = " ".join(member_score_explained(score))
    assert "120 days ago" in text
    assert "High risk of leaving" in text
    assert "in store" in text
    assert member_score_explained(None) == []


def test_points_entry_page_keeps_internals_under_technical_details(club_admin, redemption):
    entry = redemption.entry
    html = club_admin.get(f"/admin/rewards/pointsentry/{entry.pk}/change/").content.decode()
    assert "Technical details" in html
    before, _sep, after = html.partition("Technical details")
    assert entry.idempotency_key in after and entry.idempotency_key not in before
