"""A batch that waits for a member's account lock earns with the tier the account has once the
lock is free, not the one it read before waiting (PostgreSQL re-reads only the locked row, so
the batch must not take the tier from a join)."""

from __future__ import annotations

import datetime
import threading
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.utils import timezone

from members.services.purchases import purchases_ingest
from rewards.models import PointsAccount, PointsEntry, TierChange
from tests.members.factories import MemberFactory
from tests.pg_waits import backend_pid, wait_until_a_session_is_blocked_by

from .factories import EarningRuleFactory, TierFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_a_batch_waiting_for_an_account_earns_with_the_tier_it_has_after_the_wait():
    gold = TierFactory(order=1, threshold=1000, multiplier=Decimal("2"))
    EarningRuleFactory(points_per_sek=Decimal("1"))
    member = MemberFactory()
    PointsAccount.objects.create(member=member)
    locked, release = threading.Event(), threading.Event()
    holder_pid: list[int] = []

    def upgrade_while_holding_the_lock():
        try:
            holder_pid.append(backend_pid())
            with transaction.atomic():
                PointsAccount.objects.select_for_update().filter(member=member).update(
                    tier=gold, tier_since=timezone.localdate()
                )
                locked.set()
                assert release.wait(timeout=300)
        finally:
            connection.close()

    holder = threading.Thread(target=upgrade_while_holding_the_lock)
    holder.start()
    assert locked.wait(timeout=300)
    results: list = []

    def ingest():
        try:
            results.extend(
                purchases_ingest(
                    rows=[
                        {
                            "member": member.number,
                            "purchased_at": (
                                timezone.now() - datetime.timedelta(hours=1)
                            ).isoformat(),
                            "amount": "100",
                            "channel": "online",
                            "source": "web",
                            "external_id": "W-1",
                        }
                    ]
                )
            )
        finally:
            connection.close()

    batch = threading.Thread(target=ingest)
    batch.start()
    # the batch really waits on the holder's lock (pg_locks, read live) before the holder lets go
    assert wait_until_a_session_is_blocked_by(holder_pid[0]), "the batch never waited"
    release.set()
    holder.join(timeout=300)
    batch.join(timeout=300)

    assert [r.status for r in results] == ["created"]
    entry = PointsEntry.objects.get(idempotency_key__startswith="purchase:")
    assert entry.amount == 200  # 100 SEK × 1 point × the gold tier's 2
    assert not TierChange.objects.exists()
    assert PointsAccount.objects.get(member=member).tier_id == gold.pk
