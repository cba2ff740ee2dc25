"""Redeeming and cancelling: one transaction, clear refusals that write nothing."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from core.models import AuditLogEntry
from rewards.models import PointsAccount, PointsEntry, PointsLotDraw, Redemption, Reward
from rewards.services.ledger import points_award
from rewards.services.redemptions import (
    VOUCHER_ALPHABET,
    redemption_cancel,
    redemption_fulfil,
    reward_redeem,
)
from tests.members.factories import MemberFactory, SegmentFactory, StaffFactory

from .factories import RewardFactory, TierFactory
from .helpers import assert_ledger_consistent, balance_of

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("redeem_path")]


def _rich_member(points=1000, **kwargs):
    member = MemberFactory(**kwargs)
    points_award(member=member, points=points, reason="Start", idempotency_key=f"start:{member.pk}")
    return member


def _state():
    return (
        PointsEntry.objects.count(),
        PointsLotDraw.objects.count(),
        Redemption.objects.count(),
        list(Reward.objects.order_by("pk").values_list("stock", flat=True)),
        list(PointsAccount.objects.order_by("pk").values_list("balance", flat=True)),
    )


def test_redeem_debits_decrements_stock_makes_a_code_and_mails_after_commit(
    django_capture_on_commit_callbacks, mailoutbox
):
    member = _rich_member(points=250)
    reward = RewardFactory(points_cost=100, stock=5, voucher_valid_days=30)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        redemption = reward_redeem(member=member, reward=reward, idempotency_key="r1")

    assert redemption.status == "pending" and redemption.points == 100
    assert len(redemption.voucher_code) == 10
    assert set(redemption.voucher_code) <= set(VOUCHER_ALPHABET)
    assert redemption.voucher_valid_until == timezone.localdate() + datetime.timedelta(days=30)
    assert redemption.entry.kind == "redeem" and redemption.entry.amount == -100
    reward.refresh_from_db()
    assert reward.stock == 4
    assert balance_of(member) == 150
    assert len(callbacks) == 1
    assert len(mailoutbox) == 1 and redemption.voucher_code in mailoutbox[0].body
    assert mailoutbox[0].to == [member.email]
    assert_ledger_consistent()


def test_no_mail_when_the_transaction_rolls_back(django_capture_on_commit_callbacks, mailoutbox):
    from django.db import transaction

    member = _rich_member()
    reward = RewardFactory()
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        reward_redeem(member=member, reward=reward, idempotency_key="r1")
        raise RuntimeError("the caller failed after redeeming")
    assert mailoutbox == []
    assert Redemption.objects.count() == 0


def test_the_same_key_twice_gives_the_same_redemption_and_one_entry():
    member = _rich_member()
    reward = RewardFactory(points_cost=100, stock=1)

    first = reward_redeem(member=member, reward=reward, idempotency_key="same")
    second = reward_redeem(member=member, reward=reward, idempotency_key="same")

    assert first.pk == second.pk and first.voucher_code == second.voucher_code
    assert PointsEntry.objects.filter(kind="redeem").count() == 1
    assert balance_of(member) == 900


def test_a_key_reused_for_another_reward_is_refused():
    member = _rich_member()
    reward_redeem(member=member, reward=RewardFactory(), idempotency_key="same")
    with pytest.raises(ValidationError, match="another reward"):
        reward_redeem(member=member, reward=RewardFactory(), idempotency_key="same")


def _refusal(member, reward, code, match):
    before = _state()
    with pytest.raises(ValidationError) as error:
        reward_redeem(member=member, reward=reward, idempotency_key="k")
    assert error.value.code == code
    assert match in error.value.messages[0]
    assert _state() == before


def test_too_few_points():
    _refusal(
        _rich_member(points=99),
        RewardFactory(points_cost=100),
        "too_few_points",
        "100 needed, 99 available",
    )


def test_a_member_without_any_points():
    _refusal(MemberFactory(), RewardFactory(points_cost=100), "too_few_points", "0 available")


def test_out_of_stock():
    _refusal(_rich_member(), RewardFactory(stock=0), "out_of_stock", "out of stock")


def test_expired_reward():
    now = timezone.now()
    reward = RewardFactory(
        valid_from=now - datetime.timedelta(days=10), valid_until=now - datetime.timedelta(days=1)
    )
    _refusal(_rich_member(), reward, "reward_expired", "no longer available")


def test_inactive_reward():
    _refusal(_rich_member(), RewardFactory(is_active=False), "reward_expired", "no longer")


def test_reward_not_yet_available():
    reward = RewardFactory(valid_from=timezone.now() + datetime.timedelta(days=3))
    _refusal(_rich_member(), reward, "reward_not_yet", "can be redeemed from")


def test_reward_not_for_your_tier():
    gold = TierFactory(threshold=50_000)
    reward = RewardFactory()
    reward.tiers.add(gold)
    _refusal(_rich_member(), reward, "wrong_tier", "not for your tier")


def test_reward_for_your_tier_is_allowed():
    silver = TierFactory(threshold=500)
    reward = RewardFactory()
    reward.tiers.add(silver)
    member = _rich_member(points=1000)  # earning 1000 passed 500: upgraded to silver
    assert reward_redeem(member=member, reward=reward, idempotency_key="k").pk


def test_over_the_per_member_limit():
    member = _rich_member()
    reward = RewardFactory(per_member_limit=1)
    reward_redeem(member=member, reward=reward, idempotency_key="first")
    _refusal(member, reward, "over_limit", "most times allowed (1)")


def test_a_cancelled_redemption_does_not_count_towards_the_limit():
    member = _rich_member()
    reward = RewardFactory(per_member_limit=1)
    redemption = reward_redeem(member=member, reward=reward, idempotency_key="first")
    redemption_cancel(redemption=redemption, actor=StaffFactory())
    assert reward_redeem(member=member, reward=reward, idempotency_key="second").pk


def test_paused_and_erased_members_cannot_redeem():
    paused = _rich_member(status="paused")
    _refusal(paused, RewardFactory(), "member_not_active", "Only active members")
    erased = MemberFactory(status="erased", erased_at=timezone.now())
    _refusal(erased, RewardFactory(), "member_not_active", "Only active members")


def test_segment_rewards_need_the_member_in_the_segment():
    rules = {"op": "and", "rules": [{"field": "city", "operator": "eq", "value": "Umeå"}]}
    reward = RewardFactory(segment=SegmentFactory(rules=rules), points_cost=100)

    _refusal(_rich_member(city="Malmö"), reward, "not_in_segment", "other members")

    insider = _rich_member(city="umeå")
    assert reward_redeem(member=insider, reward=reward, idempotency_key="seg").points == 100


def test_cancel_returns_points_to_their_lots_and_the_stock(django_capture_on_commit_callbacks):
    member = _rich_member(points=300)
    reward = RewardFactory(points_cost=200, stock=1)
    redemption = reward_redeem(member=member, reward=reward, idempotency_key="k")
    staff = StaffFactory()

    cancelled = redemption_cancel(redemption=redemption, actor=staff)
    again = redemption_cancel(redemption=redemption, actor=staff)

    assert cancelled.status == again.status == "cancelled"
    assert cancelled.cancelled_by == staff and cancelled.cancelled_at
    reversal = PointsEntry.objects.get(kind="reverse")
    assert reversal.amount == 200 and reversal.reverses == redemption.entry
    reward.refresh_from_db()
    assert reward.stock == 1
    assert balance_of(member) == 300
    assert AuditLogEntry.objects.filter(action="redemption.cancel").count() == 1
    assert_ledger_consistent()


def test_a_fulfilled_redemption_cannot_be_cancelled():
    member = _rich_member()
    redemption = reward_redeem(member=member, reward=RewardFactory(), idempotency_key="k")
    redemption_fulfil(redemption=redemption)

    with pytest.raises(ValidationError, match="fulfilled"):
        redemption_cancel(redemption=redemption, actor=StaffFactory())
    assert balance_of(member) == 900


def test_redeem_spends_oldest_lots_first_across_several():
    member = MemberFactory()
    today = timezone.localdate()
    old = points_award(
        member=member,
        points=60,
        reason="a",
        idempotency_key="a",
        expires_on=today + datetime.timedelta(days=5),
    )
    new = points_award(member=member, points=60, reason="b", idempotency_key="b")
    redemption = reward_redeem(
        member=member, reward=RewardFactory(points_cost=100), idempotency_key="k"
    )
    draws = {d.lot_id: d.amount for d in redemption.entry.draws.all()}
    assert draws == {old.lot.pk: 60, new.lot.pk: 40}


def test_lots_past_their_date_expire_before_the_debit_and_never_pay_for_it():
    member = MemberFactory()
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    points_award(
        member=member, points=100, reason="old", idempotency_key="old", expires_on=yesterday
    )
    points_award(member=member, points=100, reason="new", idempotency_key="new")
    before = _state()

    with pytest.raises(ValidationError) as error:
        reward_redeem(member=member, reward=RewardFactory(points_cost=150), idempotency_key="a")

    # refused on what is left after the expiry, and the expiry itself is not written either
    assert error.value.code == "too_few_points"
    assert error.value.messages[0] == "Not enough points: 150 needed, 100 available."
    assert _state()[:3] == before[:3]

    redemption = reward_redeem(
        member=member, reward=RewardFactory(points_cost=80), idempotency_key="b"
    )

    assert PointsEntry.objects.filter(member=member, kind="expire").count() == 1
    assert [d.lot.entry.idempotency_key for d in redemption.entry.draws.all()] == ["new"]
    assert balance_of(member) == 20
    assert_ledger_consistent()


def test_the_redemption_returned_is_the_one_stored(django_capture_on_commit_callbacks):
    member = _rich_member()
    reward = RewardFactory(points_cost=100, name_sv="Kaffe", name_en="Coffee")

    redemption = reward_redeem(member=member, reward=reward, idempotency_key="k")
    replay = reward_redeem(member=member, reward=reward, idempotency_key="k")
    stored = Redemption.objects.select_related("reward").get()

    for returned in (redemption, replay):
        for field in Redemption._meta.concrete_fields:
            assert getattr(returned, field.attname) == getattr(stored, field.attname), field.name
        assert returned.reward.name == "Coffee" and returned.member == member
        assert returned.entry.amount == -100
