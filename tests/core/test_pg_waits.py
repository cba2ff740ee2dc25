"""tests.pg_waits, which race tests use to know a peer really waits: it must see a waiter that
arrives after its first look inside a transaction (pg_stat_activity, read in a transaction, is a
snapshot of that first look, which is how the idempotency race test failed on busy machines)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, transaction

from tests.pg_waits import wait_until_a_session_is_blocked_by

LOCK = 4711


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_waiter_that_arrives_after_the_first_look_is_seen():
    waiter_done = threading.Event()

    def waiter() -> None:
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_lock(%s)", [LOCK])
                cursor.execute("SELECT pg_advisory_unlock(%s)", [LOCK])
            waiter_done.set()
        finally:
            connection.close()

    thread = threading.Thread(target=waiter)
    with transaction.atomic():
        # given a transaction that holds a lock and has already looked once (nobody waits yet)
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [LOCK])
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
                " AND datname = current_database()"
            )
        # when another session starts waiting for that lock
        thread.start()
        seen = wait_until_a_session_is_blocked_by()
        assert not waiter_done.is_set()
    # then it was seen, and it got the lock once the transaction ended
    thread.join(300)
    assert seen
    assert waiter_done.is_set()
