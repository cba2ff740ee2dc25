"""Physical rewards say how they reach the member: by post to a whole address, or picked up in an
active store. Through both implementations of reward_redeem (the database function and the ORM);
a refusal writes nothing."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from core.models import OutgoingEmail
from rewards.models import PointsAccount, PointsEntry, Redemption, Reward
from rewards.services.ledger import points_award
from rewards.services.redemptions import Delivery, reward_redeem
from tests.members.factories import MemberFactory, StoreFactory

from .factories import RewardFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("redeem_path")]

POST = Delivery(
    method="post", name="Maja Berg", address="Storgatan 1", postcode="111 22", city="Stockholm"
)


def _member(points=1000):
    member = MemberFactory(first_name="Maja", language="sv")
    points_award(member=member, points=points, reason="Start", idempotency_key=f"s:{member.pk}")
    return member


def _state():
    return (
        PointsEntry.objects.count(),
        Redemption.objects.count(),
        list(Reward.objects.order_by("pk").values_list("stock", flat=True)),
        list(PointsAccount.objects.order_by("pk").values_list("balance", flat=True)),
        OutgoingEmail.objects.count(),
    )


@pytest.mark.parametrize(
    ("delivery", "code"),
    [
        (None, "delivery_missing"),
        (
            Delivery(method="post", name="Maja", address="", postcode="", city=""),
            "delivery_address_missing",
        ),
        (
            Delivery(
                method="post", name="Maja", address="Storgatan 1", postcode="111 22", city="  "
            ),
            "delivery_address_missing",
        ),
        (Delivery(method="pickup"), "pickup_store_missing"),
        (Delivery(method="drone"), "delivery_missing"),
    ],
)
def test_a_physical_reward_without_a_whole_delivery_is_refused_and_nothing_written(delivery, code):
    # given a member with points and a product in stock
    member = _member()
    reward = RewardFactory(kind="product", points_cost=100, stock=3)
    before = _state()

    # when they redeem it with no or an incomplete delivery
    with pytest.raises(ValidationError) as refused:
        reward_redeem(member=member, reward=reward, idempotency_key="k1", delivery=delivery)

    # then it is refused with a message for them, and nothing is written
    assert refused.value.code == code
    assert refused.value.messages[0]
    assert _state() == before


def test_a_pickup_in_an_inactive_store_is_refused():
    member = _member()
    reward = RewardFactory(kind="product", points_cost=100)
    closed = StoreFactory(is_active=False)
    before = _state()

    with pytest.raises(ValidationError) as refused:
        reward_redeem(
            member=member,
            reward=reward,
            idempotency_key="k1",
            delivery=Delivery(method="pickup", store=closed),
        )

    assert refused.value.code == "pickup_store_missing"
    assert _state() == before


def test_a_physical_reward_sent_by_post_keeps_the_address_and_says_so_in_the_mail(
    django_capture_on_commit_callbacks,
):
    member = _member()
    reward = RewardFactory(kind="product", points_cost=100, stock=3, name_sv="Termos")

    redemption = reward_redeem(
        member=member,
        reward=reward,
        idempotency_key="k1",
        delivery=Delivery(
            method="post",
            name=" Maja  Berg ",
            address="Storgatan 1",
            postcode="111 22",
            city="Stockholm",
        ),
    )

    stored = Redemption.objects.get(pk=redemption.pk)
    assert (stored.delivery, stored.delivery_name, stored.delivery_address) == (
        "post",
        "Maja Berg",
        "Storgatan 1",
    )
    assert (stored.delivery_postcode, stored.delivery_city, stored.pickup_store) == (
        "111 22",
        "Stockholm",
        None,
    )
    assert redemption.delivery == "post"
    payload = OutgoingEmail.objects.get().payload
    assert "Storgatan 1" in payload["body"] and "Maja Berg" in payload["body"]
    assert payload["html"] and "Storgatan 1" in payload["html"]


def test_a_physical_reward_picked_up_keeps_the_store():
    member = _member()
    store = StoreFactory(name="Butiken Göteborg")
    reward = RewardFactory(kind="product", points_cost=100)

    redemption = reward_redeem(
        member=member,
        reward=reward,
        idempotency_key="k1",
        delivery=Delivery(method="pickup", store=store),
    )

    stored = Redemption.objects.get(pk=redemption.pk)
    assert (stored.delivery, stored.pickup_store_id, stored.delivery_address) == (
        "pickup",
        store.pk,
        "",
    )
    assert "Butiken Göteborg" in OutgoingEmail.objects.get().payload["body"]


def test_a_delivery_given_for_a_voucher_is_not_kept():
    member = _member()
    reward = RewardFactory(kind="voucher", points_cost=100)

    redemption = reward_redeem(member=member, reward=reward, idempotency_key="k1", delivery=POST)

    stored = Redemption.objects.get(pk=redemption.pk)
    assert (stored.delivery, stored.delivery_address, stored.pickup_store) == ("", "", None)


def test_a_repeated_key_returns_the_first_redemption_of_a_physical_reward():
    member = _member()
    reward = RewardFactory(kind="product", points_cost=100)

    first = reward_redeem(member=member, reward=reward, idempotency_key="k1", delivery=POST)
    again = reward_redeem(member=member, reward=reward, idempotency_key="k1", delivery=POST)

    assert again.pk == first.pk
    assert Redemption.objects.count() == 1


def test_the_database_refuses_a_half_delivery():
    member = _member()
    reward = RewardFactory(kind="product", points_cost=100)
    redemption = reward_redeem(member=member, reward=reward, idempotency_key="k1", delivery=POST)

    with pytest.raises(IntegrityError), transaction.atomic():
        Redemption.objects.filter(pk=redemption.pk).update(delivery_city="")
