"""Admin: the ledger is read-only, cancelling goes through the service, adjusting is audited."""

import pytest
from django.contrib.auth.models import Group

from core.models import AuditLogEntry
from rewards.models import PointsAccount, PointsEntry
from rewards.services.ledger import points_award
from rewards.services.redemptions import reward_redeem
from tests.members.factories import MemberFactory, StaffFactory

from .factories import RewardFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, settings):
    settings.STAFF_MFA_REQUIRED = False
    client.force_login(StaffFactory(is_superuser=True))
    return client


def test_ledger_pages_list_but_never_edit(admin_client):
    member = MemberFactory()
    entry = points_award(member=member, points=10, reason="x", idempotency_key="a")
    assert admin_client.get("/admin/rewards/pointsentry/").status_code == 200
    assert admin_client.get("/admin/rewards/pointsentry/?kind=earn").status_code == 200
    assert admin_client.get("/admin/rewards/pointsentry/add/").status_code == 403
    response = admin_client.post(f"/admin/rewards/pointsentry/{entry.pk}/change/", {"amount": 999})
    assert response.status_code in (200, 403)
    assert PointsEntry.objects.get(pk=entry.pk).amount == 10
    assert admin_client.post(f"/admin/rewards/pointsentry/{entry.pk}/delete/").status_code == 403


def test_cancel_action_returns_points_through_the_service(admin_client):
    member = MemberFactory()
    points_award(member=member, points=300, reason="x", idempotency_key="a")
    redemption = reward_redeem(
        member=member, reward=RewardFactory(points_cost=200), idempotency_key="k"
    )

    admin_client.post(
        "/admin/rewards/redemption/",
        {"action": "cancel_selected", "_selected_action": [redemption.pk]},
    )

    redemption.refresh_from_db()
    assert redemption.status == "cancelled"
    assert PointsAccount.objects.get(member=member).balance == 300
    assert AuditLogEntry.objects.filter(action="redemption.cancel").exists()


def test_adjust_points_form(admin_client):
    member = MemberFactory()
    points_award(member=member, points=10, reason="x", idempotency_key="a")
    url = f"/admin/rewards/pointsaccount/{member.pk}/adjust/"
    assert admin_client.get(url).status_code == 200

    response = admin_client.post(url, {"points": 25, "reason": "Sorry!", "key": "k1"})
    admin_client.post(url, {"points": 25, "reason": "Sorry!", "key": "k1"})  # resubmitted

    assert response.status_code == 302
    assert PointsAccount.objects.get(member=member).balance == 35
    refused = admin_client.post(url, {"points": -100, "reason": "Too much", "key": "k2"})
    assert refused.status_code == 200 and "Not enough points" in refused.content.decode()


def test_marketer_role_cannot_adjust_points(client, settings):
    settings.STAFF_MFA_REQUIRED = False
    marketer = StaffFactory()
    marketer.groups.add(Group.objects.get(name="marketer"))
    client.force_login(marketer)
    member = MemberFactory()
    points_award(member=member, points=10, reason="x", idempotency_key="a")
    response = client.post(
        f"/admin/rewards/pointsaccount/{member.pk}/adjust/",
        {"points": 25, "reason": "x", "key": "k"},
    )
    assert response.status_code == 403
    assert PointsAccount.objects.get(member=member).balance == 10
