import datetime

import pytest
from django.utils import timezone

from core.seeding import SeedContext
from rewards.demo import seed_rewards
from rewards.models import PointsEntry, Reward, Tier
from rewards.services.ledger import points_award
from rewards.tasks import points_expire_due_task, tiers_review_task
from tests.members.factories import MemberFactory

pytestmark = pytest.mark.django_db


def test_demo_seeder_builds_tiers_and_a_catalogue():
    import random

    seed_rewards(SeedContext(members=1, seed=1, rng=random.Random(1), out=lambda _line: None))
    assert list(Tier.objects.values_list("name_sv", flat=True)) == ["Bas", "Silver", "Guld"]
    assert set(Reward.objects.values_list("kind", flat=True)) == set(Reward.Kind.values)


def test_tasks_call_the_services_and_are_safe_twice():
    member = MemberFactory()
    points_award(
        member=member,
        points=10,
        reason="x",
        idempotency_key="a",
        expires_on=timezone.localdate() - datetime.timedelta(days=1),
    )
    assert points_expire_due_task() == 10
    assert points_expire_due_task() == 0
    assert PointsEntry.objects.filter(kind="expire").count() == 1
    assert tiers_review_task() == 0
