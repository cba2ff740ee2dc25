"""The demo club is true to the product: a seeded return takes its share of the purchase's
points back, through the ledger (reversal entry, lot draw), and every balance reconciles."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import pytest
from django.core.management import call_command
from django.db.models import Sum

from members.models import Purchase
from rewards.models import PointsAccount, PointsEntry
from rewards.selectors.ledger import points_reconcile


@pytest.mark.django_db
def test_seeded_returns_take_their_points_back():
    call_command("seed_demo", members=80, seed=11)
    returns = Purchase.objects.filter(original__isnull=False)
    assert returns.exists()
    reversals = PointsEntry.objects.filter(kind="reverse", cause_label="return")
    assert reversals.count() > 0
    for entry in reversals.select_related("reverses")[:20]:
        ret = Purchase.objects.get(pk=entry.cause_id)
        original = ret.original
        share = int(
            (Decimal(entry.reverses.amount) * -ret.amount / original.amount).quantize(
                Decimal(1), rounding=ROUND_HALF_UP
            )
        )
        assert entry.amount == -share and entry.qualifying == -share
        assert entry.idempotency_key == f"purchase:{ret.pk}:return"
    assert points_reconcile() == []
    account = PointsAccount.objects.filter(member__purchases__original__isnull=False).first()
    total = PointsEntry.objects.filter(member_id=account.pk).aggregate(s=Sum("amount"))["s"]
    assert account.balance == total
