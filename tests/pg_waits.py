"""Synchronising concurrency tests on PostgreSQL events instead of on time.

A race test must know that a second transaction really is waiting on a lock the first one holds
before it lets the first one go. Sleeping "long enough" is a guess a busy machine gets wrong, and
``pg_stat_activity`` read inside a transaction is a snapshot taken at its first read. The lock
manager's own view (``pg_locks``, ``pg_blocking_pids``) is read live on every statement, so these
helpers re-read it until the event has happened. Their deadline only stops a broken test from
hanging; a slow machine reaches the event later, it never misses it.
"""

from __future__ import annotations

import time

from django.db import connection

DEADLINE_SECONDS = 300.0

_BLOCKED_BY = (
    "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE NOT granted AND %s = ANY(pg_blocking_pids(pid)))"
)


def backend_pid() -> int:
    """The PostgreSQL backend of this thread's connection."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def wait_until_a_session_is_blocked_by(pid: int | None = None) -> bool:
    """True once another session waits on a lock held by backend `pid` (default: this thread's
    own backend, e.g. from inside the transaction that holds the lock)."""
    deadline = time.monotonic() + DEADLINE_SECONDS
    with connection.cursor() as cursor:
        if pid is None:
            cursor.execute("SELECT pg_backend_pid()")
            pid = cursor.fetchone()[0]
        while time.monotonic() < deadline:
            cursor.execute(_BLOCKED_BY, [pid])
            if cursor.fetchone()[0]:
                return True
            time.sleep(0.005)  # give the CPU to the sessions we are waiting for
    return False
