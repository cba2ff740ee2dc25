"""An "experience" reward that points at an event: redeeming it takes a seat in the same
transaction, and a full event refuses it with nothing spent (both redemption paths)."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from events.models import Registration
from events.selectors.reconcile import events_reconcile
from events.services.registrations import event_register
from rewards.models import Redemption, Reward
from rewards.services.ledger import points_award
from rewards.services.redemptions import reward_redeem
from tests.members.factories import MemberFactory
from tests.rewards.factories import RewardFactory
from tests.rewards.helpers import assert_ledger_consistent, balance_of

from .factories import EventFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(params=[pytest.param("database", marks=pytest.mark.postgres), pytest.param("orm")])
def redeem_path(request, settings):
    settings.REWARDS_REDEEM_IN_DATABASE = request.param == "database"
    return request.param


def _funded_member(points=500):
    member = MemberFactory()
    points_award(member=member, points=points, reason="Start", idempotency_key=f"s{member.pk}")
    return member


@pytest.mark.usefixtures("redeem_path")
def test_redeeming_takes_a_seat_and_a_repeat_takes_none():
    reward = RewardFactory(kind=Reward.Kind.EXPERIENCE, points_cost=200, stock=5)
    event = EventFactory(capacity=2, reward=reward, points_price=999)
    member = _funded_member()

    redemption = reward_redeem(member=member, reward=reward, idempotency_key="x")
    again = reward_redeem(member=member, reward=reward, idempotency_key="x")

    assert again.pk == redemption.pk
    registration = Registration.objects.get(event=event, member=member)
    assert registration.status == Registration.Status.REGISTERED
    assert registration.redemption_id == redemption.pk and registration.points_paid == 0
    assert balance_of(member) == 300
    assert events_reconcile() == []


@pytest.mark.usefixtures("redeem_path")
def test_a_full_event_refuses_the_redemption_with_nothing_spent():
    reward = RewardFactory(kind=Reward.Kind.EXPERIENCE, points_cost=200, stock=5)
    event = EventFactory(capacity=1, reward=reward)
    event_register(event=event, member=MemberFactory())
    member = _funded_member()

    with pytest.raises(ValidationError) as refused:
        reward_redeem(member=member, reward=reward, idempotency_key="y")

    assert refused.value.code == "event_full"
    assert balance_of(member) == 500
    assert not Redemption.objects.exists()
    assert Reward.objects.get(pk=reward.pk).stock == 5
    assert not Registration.objects.filter(member=member).exists()
    assert_ledger_consistent()


def test_rewards_without_an_event_are_untouched():
    reward = RewardFactory(points_cost=100)
    member = _funded_member()
    reward_redeem(member=member, reward=reward, idempotency_key="z")
    assert not Registration.objects.exists()


@pytest.mark.usefixtures("redeem_path")
def test_the_api_answers_400_for_a_full_event_and_spends_nothing(member_api_client, user):
    reward = RewardFactory(kind=Reward.Kind.EXPERIENCE, points_cost=100)
    event = EventFactory(capacity=1, reward=reward)
    event_register(event=event, member=MemberFactory())
    member = MemberFactory(user=user, email=user.email)
    points_award(member=member, points=300, reason="Start", idempotency_key="s")

    response = member_api_client.post(
        reverse("api-reward-redeem", args=[reward.pk]), HTTP_IDEMPOTENCY_KEY="k"
    )

    assert response.status_code == 400 and response.json()["code"] == "event_full"
    assert balance_of(member) == 300 and not Redemption.objects.exists()
