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
