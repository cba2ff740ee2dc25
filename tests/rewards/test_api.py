"""The rewards API: own data only, the catalogue, redeem with Idempotency-Key."""

import pytest
from rest_framework.test import APIClient

from rewards.models import PointsEntry, Redemption
from rewards.services.ledger import points_award
from tests.members.factories import MemberFactory, UserFactory

from .factories import RewardFactory, TierFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("redeem_path")]


@pytest.fixture
def member(user):
    member = MemberFactory(user=user, email=user.email)
    points_award(member=member, points=500, reason="Welcome", idempotency_key=f"w{member.pk}")
    return member


def test_anonymous_gets_nothing(api_client):
    for url in [
        "/api/v1/points/",
        "/api/v1/points/entries/",
        "/api/v1/rewards/",
        "/api/v1/redemptions/",
    ]:
        assert api_client.get(url).status_code in (401, 403)
    assert api_client.post("/api/v1/rewards/1/redeem/").status_code in (401, 403)


def test_a_login_without_membership_gets_404(member_api_client):
    assert member_api_client.get("/api/v1/points/").status_code == 404


def test_balance_and_ledger_are_the_members_own(member_api_client, member):
    other = MemberFactory()
    points_award(member=other, points=999, reason="Secret", idempotency_key="other")

    summary = member_api_client.get("/api/v1/points/").json()
    entries = member_api_client.get("/api/v1/points/entries/").json()

    assert summary["balance"] == 500 and summary["expiring"][0]["points"] == 500
    assert entries["count"] == 1
    assert entries["results"][0]["reason"] == "Welcome"
    assert entries["results"][0]["points"] == 500


def test_catalogue_shows_what_the_member_may_see_and_filters(member_api_client, member):
    RewardFactory(points_cost=100, kind="voucher", name_en="Cheap")
    RewardFactory(points_cost=900, kind="experience", name_en="Dear")
    hidden = RewardFactory(points_cost=10, name_en="Gold only")
    hidden.tiers.add(TierFactory(threshold=100_000))
    RewardFactory(points_cost=10, is_active=False)

    everything = member_api_client.get("/api/v1/rewards/").json()
    affordable = member_api_client.get("/api/v1/rewards/?affordable=true").json()
    experiences = member_api_client.get("/api/v1/rewards/?kind=experience").json()

    assert [r["name"] for r in everything["results"]] == ["Cheap", "Dear"]
    assert [r["name"] for r in affordable["results"]] == ["Cheap"]
    assert [r["name"] for r in experiences["results"]] == ["Dear"]
    assert member_api_client.get("/api/v1/rewards/?max_cost=abc").status_code == 400


def test_redeem_with_a_key_and_replay(member_api_client, member):
    reward = RewardFactory(points_cost=100, stock=3)
    url = f"/api/v1/rewards/{reward.pk}/redeem/"

    first = member_api_client.post(url, HTTP_IDEMPOTENCY_KEY="abc")
    second = member_api_client.post(url, HTTP_IDEMPOTENCY_KEY="abc")

    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()
    assert second["Idempotent-Replayed"] == "true"
    assert PointsEntry.objects.filter(kind="redeem").count() == 1
    vouchers = member_api_client.get("/api/v1/redemptions/").json()
    assert [v["voucher_code"] for v in vouchers["results"]] == [first.json()["voucher_code"]]


def test_redeem_needs_a_key(member_api_client, member):
    reward = RewardFactory()
    response = member_api_client.post(f"/api/v1/rewards/{reward.pk}/redeem/")
    assert response.status_code == 400 and "Idempotency-Key" in response.json()["detail"]
    assert Redemption.objects.count() == 0


def test_refusals_are_clear_400s(member_api_client, member):
    reward = RewardFactory(points_cost=100_000)
    response = member_api_client.post(
        f"/api/v1/rewards/{reward.pk}/redeem/", HTTP_IDEMPOTENCY_KEY="k"
    )
    assert response.status_code == 400
    assert response.json()["code"] == "too_few_points"
    assert "100000 needed, 500 available" in response.json()["detail"]
    assert (
        member_api_client.post(
            "/api/v1/rewards/999999/redeem/", HTTP_IDEMPOTENCY_KEY="k2"
        ).status_code
        == 404
    )


def test_another_members_vouchers_are_never_listed(member, member_api_client):
    other_user = UserFactory()
    other = MemberFactory(user=other_user, email=other_user.email)
    points_award(member=other, points=500, reason="x", idempotency_key="o")
    reward = RewardFactory()
    client = APIClient()
    client.force_authenticate(other_user)
    client.post(f"/api/v1/rewards/{reward.pk}/redeem/", HTTP_IDEMPOTENCY_KEY="z")

    assert member_api_client.get("/api/v1/redemptions/").json()["count"] == 0


def test_the_schema_documents_the_endpoints(api_client, staff_user):
    api_client.force_authenticate(staff_user)
    schema = api_client.get("/api/schema/").content.decode()
    for path in ["/api/v1/points/", "/api/v1/rewards/{reward_id}/redeem/", "/api/v1/redemptions/"]:
        assert path in schema


def test_redeeming_a_physical_reward_over_the_api_needs_a_delivery(member_api_client, member):
    # issue 11: a product is sent or picked up; without a delivery it is refused, nothing written
    from members.models import Store
    from rewards.models import Redemption

    reward = RewardFactory(points_cost=10, kind="product")
    store = Store.objects.create(code="sthlm", name="Butiken Stockholm")
    url = f"/api/v1/rewards/{reward.pk}/redeem/"

    refused = member_api_client.post(url, HTTP_IDEMPOTENCY_KEY="d1")
    assert refused.status_code == 400 and refused.json()["code"] == "delivery_missing"
    no_address = member_api_client.post(
        url, {"delivery": "post", "name": "Maja"}, format="json", HTTP_IDEMPOTENCY_KEY="d2"
    )
    assert no_address.json()["code"] == "delivery_address_missing"
    assert not Redemption.objects.exists()

    done = member_api_client.post(
        url,
        {"delivery": "pickup", "pickup_store": "sthlm"},
        format="json",
        HTTP_IDEMPOTENCY_KEY="d3",
    )
    assert done.status_code == 201
    assert Redemption.objects.get().pickup_store_id == store.pk
