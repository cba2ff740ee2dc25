"""Helpers for rewards tests: the ledger invariants, checked straight from the tables."""

from django.db.models import Sum

from rewards.models import PointsAccount, PointsEntry, PointsLot, PointsLotDraw
from rewards.selectors.ledger import points_reconcile


def assert_ledger_consistent() -> None:
    assert points_reconcile() == []
    for account in PointsAccount.objects.all():
        entries = PointsEntry.objects.filter(member_id=account.member_id)
        assert account.balance == (entries.aggregate(s=Sum("amount"))["s"] or 0)
        assert account.debt == (entries.aggregate(s=Sum("debt_change"))["s"] or 0)
        assert account.balance >= 0 and account.debt >= 0
        assert account.debt == 0 or account.balance == 0
    for lot in PointsLot.objects.all():
        drawn = PointsLotDraw.objects.filter(lot=lot).aggregate(s=Sum("amount"))["s"] or 0
        assert 0 <= lot.remaining == lot.amount - drawn <= lot.amount
    # Each debit drew exactly its amount from lots (no lot spent twice, nothing from nowhere).
    for entry in PointsEntry.objects.filter(amount__lt=0):
        drawn = PointsLotDraw.objects.filter(entry=entry).aggregate(s=Sum("amount"))["s"] or 0
        assert drawn == -entry.amount, entry


def balance_of(member) -> int:
    account = PointsAccount.objects.filter(member=member).first()
    return account.balance if account else 0
