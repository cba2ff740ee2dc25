"""The redemption's two implementations: the PostgreSQL function rewards_redeem (migration 0006)
and the ORM reference write the same rows. (Every test in test_redemptions, test_api,
test_property and the redemption tests in test_concurrency run against both.)"""

import datetime

import pytest
from django.db import connection
from django.utils import timezone

from rewards.models import Redemption, Reward
from rewards.services.ledger import points_award
from rewards.services.redemptions import redeem_in_database, reward_redeem
from tests.members.factories import MemberFactory, StaffFactory

from .factories import RewardFactory
from .helpers import assert_ledger_consistent, balance_of

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def test_postgresql_redeems_in_the_database_unless_told_not_to(settings):
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_proc WHERE proname = 'rewards_redeem'")
        assert cursor.fetchone()[0] == 1
    assert redeem_in_database()
    settings.REWARDS_REDEEM_IN_DATABASE = False
    assert not redeem_in_database()


def test_the_database_function_writes_what_the_orm_writes(settings):
    """The two implementations of reward_redeem, side by side: the same rows, field for field."""
    staff = StaffFactory()
    reward = RewardFactory(points_cost=130, stock=3, voucher_valid_days=14, per_member_limit=2)
    members = {}
    for path in ("orm", "database"):
        member = MemberFactory()
        for index, (points, days) in enumerate([(50, 3), (60, 9), (100, 400)]):
            points_award(
                member=member,
                points=points,
                reason="Start",
                idempotency_key=f"{path}:{index}",
                expires_on=timezone.localdate() + datetime.timedelta(days=days),
            )
        settings.REWARDS_REDEEM_IN_DATABASE = path == "database"
        reward_redeem(member=member, reward=reward, idempotency_key="same", actor=staff)
        members[path] = member

    def written(member):
        redemption = Redemption.objects.get(member=member)
        entry = redemption.entry
        return {
            "redemption": (
                redemption.reward_id,
                redemption.status,
                redemption.points,
                redemption.voucher_valid_until,
                redemption.idempotency_key,
                len(redemption.voucher_code),
            ),
            "entry": (
                entry.kind,
                entry.amount,
                entry.debt_change,
                entry.qualifying,
                entry.reason,
                entry.reason_params,
                entry.cause_type_id,
                entry.cause_id,
                entry.cause_label,
                entry.actor_id,
                entry.reverses_id,
                entry.idempotency_key.replace(f":{member.pk}:", ":<member>:"),
            ),
            "draws": sorted(
                (draw.lot.amount, draw.amount, draw.lot.remaining) for draw in entry.draws.all()
            ),
            "balance": balance_of(member),
        }

    assert written(members["database"]) == written(members["orm"])
    assert Reward.objects.get(pk=reward.pk).stock == 1
    assert_ledger_consistent()
