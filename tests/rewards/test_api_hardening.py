"""Hardening (issue 10, item 4): ids and keys that overflowed the database answer 404 / 400."""

import pytest

from core.idempotency import MAX_KEY_LENGTH
from rewards.models import Redemption
from rewards.services.ledger import points_award
from tests.members.factories import MemberFactory

from .factories import RewardFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def member(user):
    member = MemberFactory(user=user, email=user.email)
    points_award(member=member, points=500, reason="Start", idempotency_key="start")
    return member


@pytest.mark.parametrize("reward_id", [2**63, 2**63 + 1, 10**30])
def test_a_reward_id_beyond_bigint_is_404_on_both_paths(
    member_api_client, member, redeem_path, reward_id
):
    response = member_api_client.post(
        f"/api/v1/rewards/{reward_id}/redeem/", HTTP_IDEMPOTENCY_KEY="k"
    )

    assert response.status_code == 404
    assert not Redemption.objects.exists()


@pytest.mark.parametrize("length", [MAX_KEY_LENGTH + 1, 192, 199, 200, 255])
def test_an_idempotency_key_too_long_for_the_ledger_is_400(
    member_api_client, member, redeem_path, length
):
    reward = RewardFactory(points_cost=10)

    response = member_api_client.post(
        f"/api/v1/rewards/{reward.pk}/redeem/", HTTP_IDEMPOTENCY_KEY="k" * length
    )

    assert response.status_code == 400
    assert f"1 to {MAX_KEY_LENGTH} printable" in response.json()["detail"]
    assert not Redemption.objects.exists()


def test_the_longest_key_allowed_redeems(member_api_client, member, redeem_path):
    reward = RewardFactory(points_cost=10)

    response = member_api_client.post(
        f"/api/v1/rewards/{reward.pk}/redeem/", HTTP_IDEMPOTENCY_KEY="k" * MAX_KEY_LENGTH
    )

    assert response.status_code == 201
