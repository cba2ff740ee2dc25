"""Concurrent redemptions against the real database: row locks, not luck, keep the ledger right.
Threads start together at a barrier; each closes its own connection."""

import threading
from collections import Counter

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from rewards.models import PointsAccount, PointsEntry, Redemption, Reward
from rewards.services.ledger import points_award, points_expire_due
from rewards.services.redemptions import reward_redeem
from tests.members.factories import MemberFactory

from .factories import RewardFactory
from .helpers import assert_ledger_consistent

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def run_together(count, func):
    """Run func(i) in `count` threads released at the same moment; [(outcome, value)]."""
    barrier = threading.Barrier(count)
    results: list = [None] * count

    def worker(index):
        try:
            barrier.wait(timeout=300)
            results[index] = ("ok", func(index))
        except ValidationError as error:
            results[index] = (error.code, error)
        except Exception as error:
            results[index] = ("crash", error)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=600)
    assert all(result is not None for result in results), "a thread did not finish"
    return results


def _funded(count, points):
    members = MemberFactory.create_batch(count)
    for member in members:
        points_award(member=member, points=points, reason="Start", idempotency_key=f"s{member.pk}")
    return members


@pytest.mark.usefixtures("redeem_path")
def test_fifty_members_redeem_the_last_item_at_once_and_exactly_one_gets_it():
    members = _funded(50, 1000)
    reward = RewardFactory(points_cost=100, stock=1)

    results = run_together(
        50, lambda i: reward_redeem(member=members[i], reward=reward, idempotency_key="go")
    )

    outcomes = Counter(outcome for outcome, _value in results)
    assert outcomes == {"ok": 1, "out_of_stock": 49}, outcomes
    assert Reward.objects.get(pk=reward.pk).stock == 0
    assert Redemption.objects.count() == 1
    assert PointsEntry.objects.filter(kind="redeem").count() == 1
    assert sorted(PointsAccount.objects.values_list("balance", flat=True)) == [900] + [1000] * 49
    assert_ledger_consistent()


@pytest.mark.usefixtures("redeem_path")
def test_one_member_sends_twenty_redemptions_at_once_with_points_for_one():
    (member,) = _funded(1, 150)
    reward = RewardFactory(points_cost=100, stock=None)

    results = run_together(
        20, lambda i: reward_redeem(member=member, reward=reward, idempotency_key=f"k{i}")
    )

    outcomes = Counter(outcome for outcome, _value in results)
    assert outcomes == {"ok": 1, "too_few_points": 19}, outcomes
    assert PointsAccount.objects.get(member=member).balance == 50
    assert Redemption.objects.count() == 1
    assert_ledger_consistent()


@pytest.mark.usefixtures("redeem_path")
def test_the_same_key_at_the_same_moment_redeems_once_and_answers_the_same():
    (member,) = _funded(1, 1000)
    reward = RewardFactory(points_cost=100, stock=10)

    results = run_together(
        10, lambda i: reward_redeem(member=member, reward=reward, idempotency_key="same")
    )

    assert {outcome for outcome, _value in results} == {"ok"}
    assert len({(value.pk, value.voucher_code) for _outcome, value in results}) == 1
    assert PointsEntry.objects.filter(kind="redeem").count() == 1
    assert Reward.objects.get(pk=reward.pk).stock == 9
    assert PointsAccount.objects.get(member=member).balance == 900
    assert_ledger_consistent()


def test_the_same_award_key_at_the_same_moment_earns_once():
    member = MemberFactory()

    results = run_together(
        10,
        lambda i: points_award(member=member, points=40, reason="Survey", idempotency_key="sv:1"),
    )

    assert {outcome for outcome, _value in results} == {"ok"}
    assert PointsEntry.objects.count() == 1
    assert PointsAccount.objects.get(member=member).balance == 40


def test_expiry_jobs_running_together_expire_each_lot_once():
    import datetime

    from django.utils import timezone

    members = _funded(30, 100)
    later = datetime.date(timezone.localdate().year + 3, 1, 1)

    results = run_together(4, lambda i: points_expire_due(today=later, batch_size=7))

    assert {outcome for outcome, _value in results} == {"ok"}
    assert sum(value.points for _outcome, value in results) == 30 * 100
    assert PointsEntry.objects.filter(kind="expire").count() == 30
    assert set(PointsAccount.objects.values_list("balance", flat=True)) == {0}
    assert len(members) == 30
    assert_ledger_consistent()


@pytest.mark.usefixtures("redeem_path")
def test_spending_while_the_expiry_job_runs_never_spends_an_expired_lot():
    import datetime

    from django.utils import timezone

    members = MemberFactory.create_batch(20)
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    for member in members:
        points_award(
            member=member,
            points=100,
            reason="old",
            idempotency_key=f"o{member.pk}",
            expires_on=yesterday,
        )
        points_award(member=member, points=100, reason="new", idempotency_key=f"n{member.pk}")
    reward = RewardFactory(points_cost=150)

    def act(i):
        if i == 20:
            return points_expire_due()
        return reward_redeem(member=members[i], reward=reward, idempotency_key="k")

    results = run_together(21, act)

    outcomes = Counter(outcome for outcome, _value in results)
    assert outcomes == {"too_few_points": 20, "ok": 1}, outcomes
    assert set(PointsAccount.objects.values_list("balance", flat=True)) == {100}
    assert PointsEntry.objects.filter(kind="expire").count() == 20
    assert_ledger_consistent()


@pytest.mark.usefixtures("redeem_path")
def test_the_same_key_through_the_api_at_once_answers_the_same_and_redeems_once():
    from rest_framework.test import APIClient

    from tests.members.factories import UserFactory

    user = UserFactory()
    member = MemberFactory(user=user, email=user.email)
    points_award(member=member, points=1000, reason="Start", idempotency_key="start")
    reward = RewardFactory(points_cost=100, stock=5)

    def post(_index):
        client = APIClient()
        client.force_authenticate(user)
        response = client.post(f"/api/v1/rewards/{reward.pk}/redeem/", HTTP_IDEMPOTENCY_KEY="k")
        return response.status_code, response.json()

    results = run_together(8, post)

    assert {value[0] for _outcome, value in results} == {201}
    assert len({value[1]["voucher_code"] for _outcome, value in results}) == 1
    assert PointsEntry.objects.filter(kind="redeem").count() == 1
    assert PointsAccount.objects.get(member=member).balance == 900
    assert_ledger_consistent()
