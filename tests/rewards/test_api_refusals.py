"""Refusals that would reveal a reward the member cannot see answer as for a missing one (404),
on both implementations of the redemption."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from rewards.models import Redemption
from rewards.services.ledger import points_award
from tests.members.factories import MemberFactory

from .factories import RewardFactory, TierFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("redeem_path")]


@pytest.fixture
def member(user):
    member = MemberFactory(user=user, email=user.email)
    points_award(member=member, points=5000, reason="Welcome", idempotency_key=f"w{member.pk}")
    return member


def _redeem(client, reward_id, key="k"):
    return client.post(f"/api/v1/rewards/{reward_id}/redeem/", HTTP_IDEMPOTENCY_KEY=key)


HIDDEN = {
    "for another tier": lambda: _with_tier(RewardFactory(name_en="Gold lounge")),
    "not yet published": lambda: RewardFactory(
        name_en="Secret launch", valid_from=timezone.now() + datetime.timedelta(days=30)
    ),
    "a draft": lambda: RewardFactory(name_en="Draft", is_active=False),
    "ended": lambda: RewardFactory(
        name_en="Old", valid_until=timezone.now() - datetime.timedelta(days=1)
    ),
}


def _with_tier(reward):
    reward.tiers.add(TierFactory(order=9, threshold=10**9))
    return reward


@pytest.mark.parametrize("kind", sorted(HIDDEN))
def test_a_reward_the_member_cannot_see_is_a_404_like_a_missing_one(
    kind, member_api_client, member
):
    # given a reward hidden from this member, and an id that exists for nobody
    reward = HIDDEN[kind]()
    missing = _redeem(member_api_client, 10**9, key="m")

    # when the member tries to redeem it
    response = _redeem(member_api_client, reward.pk)

    # then the answer is the missing reward's, word for word, and nothing is redeemed
    assert response.status_code == 404
    assert response.json() == missing.json()
    assert reward.name_en not in response.content.decode()
    assert not Redemption.objects.exists()


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/rewards/-1/redeem/",
        "/api/v1/rewards/abc/redeem/",
        "/api/v1/rewards/0/redeem/",
        f"/api/v1/rewards/{2**63}/redeem/",
        "/api/v1/rewards/3280217713088184659886384829331144704/redeem/",
    ],
)
def test_a_negative_or_malformed_id_is_a_json_404(path, member_api_client, member):
    response = member_api_client.post(path, HTTP_IDEMPOTENCY_KEY="k")

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert "detail" in response.json()
