"""Purchases sent at the same moment against the real database: the unique index and the row
lock on the original, not luck, keep each receipt stored once and returns within the purchase."""

from __future__ import annotations

import datetime
import threading
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone

from members.models import Purchase
from members.services.purchases import purchase_record
from tests.members.factories import MemberFactory, PurchaseFactory, StoreFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _run_together(count, func):
    barrier = threading.Barrier(count)
    results: list = [None] * count

    def worker(index):
        try:
            barrier.wait(timeout=300)
            results[index] = ("ok", func(index))
        except ValidationError as error:
            results[index] = ("refused", error)
        except Exception as error:  # pragma: no cover - reported by the assertion below
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


def test_the_same_receipt_sent_ten_times_at_once_is_stored_once():
    member, store = MemberFactory(), StoreFactory()
    when = timezone.now() - datetime.timedelta(hours=1)

    results = _run_together(
        10,
        lambda i: purchase_record(
            member=member,
            purchased_at=when,
            amount=Decimal("250.00"),
            currency="SEK",
            channel="store",
            store=store,
            source="pos",
            external_id="K-race",
        ),
    )

    assert [outcome for outcome, _value in results] == ["ok"] * 10
    assert sum(1 for _outcome, (_p, created) in results if created) == 1
    assert Purchase.objects.filter(external_id="K-race").count() == 1


def test_returns_at_the_same_moment_never_exceed_the_purchase():
    original = PurchaseFactory(
        amount=Decimal("100.00"), purchased_at=timezone.now() - datetime.timedelta(days=2)
    )

    # when ten returns of 30.00 each arrive at once
    results = _run_together(
        10,
        lambda i: purchase_record(
            member=original.member,
            purchased_at=timezone.now() - datetime.timedelta(hours=1),
            amount=Decimal("-30.00"),
            currency="SEK",
            channel="store",
            store=original.store,
            source="pos",
            external_id=f"R-{i}",
            original=original,
        ),
    )

    # then exactly three fit and the others are refused
    outcomes = [outcome for outcome, _value in results]
    assert outcomes.count("ok") == 3 and outcomes.count("refused") == 7
    assert original.returns.count() == 3
