"""Segment count benchmark: the four-rule segment of the issue, through the compiler, against
the same count written by hand in SQL.

Rules: spend in the last 90 days > 500 SEK AND e-mail consent granted AND bought in the store
channel AND RFM recency >= 4. Each count is timed best of 5 (after one warm-up run, so both
start with the same cache); targets: compiler < 1 s, compiler / hand-written <= 2.
"""

from __future__ import annotations

import datetime
import time
from collections.abc import Callable

from django.db import connection
from django.utils import timezone

from members.selectors.segments import segment_count

RUNS = 5
TARGET_SECONDS = 1.0
TARGET_RATIO = 2.0

RULES = {
    "op": "and",
    "rules": [
        {"field": "spend", "operator": "gt", "value": "500", "params": {"days": 90}},
        {"field": "consent_email", "operator": "is", "value": True},
        {"field": "channel", "operator": "in", "value": ["store"]},
        {"field": "recency_score", "operator": "gte", "value": 4},
    ],
}

# What a developer would write by hand for the same question.
HAND_SQL = """
SELECT count(*)
FROM members_member m
JOIN members_memberscore s ON s.member_id = m.id
WHERE m.status <> 'erased'
  AND s.recency_score >= 4
  AND m.id IN (
      SELECT p.member_id FROM members_purchase p
      WHERE p.purchased_at >= %(since)s AND p.purchased_at <= %(now)s
      GROUP BY p.member_id HAVING sum(p.amount) > 500)
  AND EXISTS (
      SELECT 1 FROM members_purchase p
      WHERE p.member_id = m.id AND p.channel = 'store' AND p.original_id IS NULL
        AND p.purchased_at <= %(now)s)
  AND (SELECT c.granted FROM members_consentevent c
       WHERE c.member_id = m.id AND c.purpose = 'email'
       ORDER BY c.created_at DESC, c.id DESC LIMIT 1)
"""


def _best_of(func: Callable[[], int]) -> tuple[float, int]:
    result = func()  # warm-up
    best = float("inf")
    for _run in range(RUNS):
        started = time.perf_counter()
        result = func()
        best = min(best, time.perf_counter() - started)
    return best, result


def run(ctx) -> None:
    now = timezone.now()
    since = now - datetime.timedelta(days=90)

    def compiled() -> int:
        return segment_count(rules=RULES, now=now)

    def by_hand() -> int:
        with connection.cursor() as cursor:
            cursor.execute(HAND_SQL, {"since": since, "now": now})
            return cursor.fetchone()[0]

    compiled_seconds, compiled_count = _best_of(compiled)
    hand_seconds, hand_count = _best_of(by_hand)
    ctx.print(f"  four-rule segment: {compiled_count} members (hand-written SQL: {hand_count})")
    ratio = compiled_seconds / hand_seconds if hand_seconds else float("inf")
    ctx.record("segment count, 4 rules (compiler)", compiled_seconds, TARGET_SECONDS)
    ctx.record("segment count, 4 rules (hand SQL)", hand_seconds, TARGET_SECONDS)
    ctx.record(
        "segment compiler / hand SQL",
        ratio,
        TARGET_RATIO,
        passed=ratio <= TARGET_RATIO and compiled_count == hand_count,
        unit="x",
    )
