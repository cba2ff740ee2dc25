"""Property: after any sequence of earn, redeem, expire, return, cancel, adjust and reverse, every
balance equals the sum of its ledger, every lot adds up, and no lot is spent twice."""

import datetime
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from members.models import Purchase
from rewards.models import PointsEntry, PointsLot, Redemption
from rewards.services.earning import points_earn_for_purchase
from rewards.services.ledger import points_adjust, points_award, points_expire_due, points_reverse
from rewards.services.redemptions import redemption_cancel, reward_redeem
from tests.members.factories import MemberFactory, PurchaseFactory, StaffFactory

from .factories import RewardFactory, TierFactory
from .helpers import assert_ledger_consistent

MEMBERS = 3

member_index = st.integers(0, MEMBERS - 1)
operations = st.one_of(
    st.tuples(st.just("buy"), member_index, st.integers(1, 400)),
    st.tuples(st.just("award_short"), member_index, st.integers(1, 200), st.integers(-3, 3)),
    st.tuples(st.just("return"), st.integers(0, 50), st.integers(1, 100)),
    st.tuples(st.just("redeem"), member_index, st.integers(0, 1)),
    st.tuples(st.just("cancel"), st.integers(0, 50)),
    st.tuples(st.just("expire"), st.integers(0, 2)),
    st.tuples(st.just("adjust"), member_index, st.integers(-150, 150).filter(bool)),
    st.tuples(st.just("reverse"), st.integers(0, 200)),
)


def _pick(queryset, index):
    items = list(queryset.order_by("pk"))
    return items[index % len(items)] if items else None


@pytest.mark.django_db
@pytest.mark.usefixtures("redeem_path")
@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(ops=st.lists(operations, min_size=1, max_size=25))
def test_any_sequence_keeps_the_ledger_consistent(ops):
    with transaction.atomic():
        staff = StaffFactory()
        staff.user_permissions.add(Permission.objects.get(codename="adjust_points"))
        staff = type(staff).objects.get(pk=staff.pk)
        members = MemberFactory.create_batch(MEMBERS)
        TierFactory(threshold=300)
        rewards = [RewardFactory(points_cost=120, stock=2), RewardFactory(points_cost=50)]
        today = timezone.localdate()
        for step, op in enumerate(ops):
            kind = op[0]
            try:
                if kind == "buy":
                    purchase = PurchaseFactory(member=members[op[1]], amount=Decimal(op[2]))
                    points_earn_for_purchase(purchase=purchase)
                elif kind == "award_short":
                    points_award(
                        member=members[op[1]],
                        points=op[2],
                        reason="Bonus",
                        idempotency_key=f"short:{step}",
                        expires_on=today + datetime.timedelta(days=op[3]),
                    )
                elif kind == "return":
                    original = _pick(Purchase.objects.filter(original__isnull=True), op[1])
                    if original is not None:
                        returned = PurchaseFactory(
                            member=original.member,
                            amount=-(original.amount * op[2] / 100).quantize(Decimal("0.01")),
                            original=original,
                        )
                        if returned.amount:
                            points_earn_for_purchase(purchase=returned)
                elif kind == "redeem":
                    reward_redeem(
                        member=members[op[1]], reward=rewards[op[2]], idempotency_key=f"r{step}"
                    )
                elif kind == "cancel":
                    redemption = _pick(Redemption.objects.all(), op[1])
                    if redemption is not None:
                        redemption_cancel(redemption=redemption, actor=staff)
                elif kind == "expire":
                    points_expire_due(today=today + datetime.timedelta(days=op[1]))
                elif kind == "adjust":
                    points_adjust(
                        member=members[op[1]],
                        points=op[2],
                        reason="Correction",
                        actor=staff,
                        idempotency_key=f"adj:{step}",
                    )
                elif kind == "reverse":
                    entry = _pick(PointsEntry.objects.filter(kind__in=["earn", "adjust"]), op[1])
                    if entry is not None:
                        points_reverse(entry=entry, reason="Correction")
            except ValidationError:
                pass  # a refusal (too few points, out of stock …) writes nothing
            assert_ledger_consistent()
            live = Redemption.objects.filter(reward=rewards[0]).exclude(status="cancelled")
            rewards[0].refresh_from_db()
            assert rewards[0].stock + live.count() == 2
        points_expire_due(today=today + datetime.timedelta(days=10))
        assert not PointsLot.objects.filter(
            remaining__gt=0, expires_on__lt=today + datetime.timedelta(days=10)
        ).exists()
        for reward in rewards:
            reward.refresh_from_db()
            assert reward.stock is None or reward.stock >= 0
        assert_ledger_consistent()
        transaction.set_rollback(True)
