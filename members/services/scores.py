"""Member scores: RFM, spend, CLV, churn risk and preferred channel for every member at once.

(Scores, the task, seed_demo and the bench are written by the second purchases helper; the
purchase services, API, selectors and admin by the first.)

`member_scores_compute` is ONE set-based statement — no Python loop per member:
``INSERT INTO members_memberscore ... SELECT ... ON CONFLICT (member_id) DO UPDATE``, the same
SQL on PostgreSQL and SQLite (>= 3.25 for window functions, >= 3.24 for upserts), with only the
day arithmetic and GREATEST/LEAST spelled per database. Every non-erased member gets a row,
members without purchases a zero row; erased members' rows are removed.

What the figures mean (purchases after `now` are ignored; "12 months" is the 365 days up to
`now`; a return is a purchase with a negative amount, so it counts against spend but is not an
order):

- purchase_count / purchase_count_12m: orders (purchases that are not returns).
- total_spend / spend_12m: net spend, returns subtracted. clv_historic = total_spend.
- average_order_value: total_spend / purchase_count.
- first/last_purchase_at, days_since_last_purchase: of orders.
- recency/frequency/monetary_score: NTILE(5) over the members with an order in the last 12
  months, ordered by last order time, number of orders in 12 months and net 12-month spend
  (ties broken by member id so a run is deterministic); 5 is the best fifth, 0 means no order
  in 12 months.
- churn_risk: how far the member is past their own rhythm. The usual interval is the mean
  interval between their orders ((last - first) / (orders - 1), at least 1 day), or
  CHURN_DEFAULT_INTERVAL_DAYS for a member with one order. risk = (days since the last order /
  interval - 1) / CHURN_OVERDUE_INTERVALS, clamped to 0..1: 0 while within the usual interval,
  rising linearly to 1 when CHURN_OVERDUE_INTERVALS more intervals have passed.
- clv_predicted_12m: spend_12m x (1 - churn_risk) — the last year's net spend, kept in the
  proportion the member is likely to stay.
- preferred_channel: "online" when at least CHANNEL_SHARE of the orders were online, "store"
  when at least CHANNEL_SHARE were in store, otherwise "both"; "none" without orders.
"""

from __future__ import annotations

import datetime

from django.db import connection, transaction
from django.utils import timezone

from members.models import Member, MemberScore

CHURN_DEFAULT_INTERVAL_DAYS = 90
CHURN_OVERDUE_INTERVALS = 2
CHANNEL_SHARE = 0.8
RFM_WINDOW_DAYS = 365

_COLUMNS = (
    "computed_at",
    "first_purchase_at",
    "last_purchase_at",
    "days_since_last_purchase",
    "purchase_count",
    "purchase_count_12m",
    "total_spend",
    "spend_12m",
    "average_order_value",
    "recency_score",
    "frequency_score",
    "monetary_score",
    "clv_historic",
    "clv_predicted_12m",
    "churn_risk",
    "preferred_channel",
)

# {days_since} / {days_between} / {greatest} / {least} are filled in per database; %(name)s are
# query parameters, cast where their type matters (bound server-side, a Python float is double
# precision, and PostgreSQL has no ROUND(double precision, integer)).
_SQL = """
WITH agg AS (
    SELECT
        p.member_id AS member_id,
        MIN(CASE WHEN p.original_id IS NULL THEN p.purchased_at END) AS first_at,
        MAX(CASE WHEN p.original_id IS NULL THEN p.purchased_at END) AS last_at,
        SUM(CASE WHEN p.original_id IS NULL THEN 1 ELSE 0 END) AS orders,
        SUM(CASE WHEN p.original_id IS NULL AND p.purchased_at >= %(since)s
            THEN 1 ELSE 0 END) AS orders_12m,
        SUM(CASE WHEN p.original_id IS NULL AND p.channel = 'online'
            THEN 1 ELSE 0 END) AS orders_online,
        SUM(p.amount) AS spend,
        SUM(CASE WHEN p.purchased_at >= %(since)s THEN p.amount ELSE 0 END) AS spend_12m
    FROM members_purchase p
    WHERE p.purchased_at <= %(now)s
    GROUP BY p.member_id
),
rfm AS (
    SELECT
        member_id,
        NTILE(5) OVER (ORDER BY last_at, member_id) AS r,
        NTILE(5) OVER (ORDER BY orders_12m, member_id) AS f,
        NTILE(5) OVER (ORDER BY spend_12m, member_id) AS m
    FROM agg
    WHERE orders_12m > 0
),
base AS (
    SELECT
        m.id AS member_id,
        agg.first_at,
        agg.last_at,
        COALESCE(agg.orders, 0) AS orders,
        COALESCE(agg.orders_12m, 0) AS orders_12m,
        COALESCE(agg.orders_online, 0) AS orders_online,
        COALESCE(agg.spend, 0) AS spend,
        COALESCE(agg.spend_12m, 0) AS spend_12m,
        CASE WHEN agg.last_at IS NULL THEN NULL ELSE {days_since} END AS days_since,
        CASE
            WHEN COALESCE(agg.orders, 0) >= 2
            THEN {greatest}({days_between} / (agg.orders - 1), 1.0)
            ELSE CAST(%(default_interval)s AS NUMERIC)
        END AS interval_days,
        COALESCE(rfm.r, 0) AS r,
        COALESCE(rfm.f, 0) AS f,
        COALESCE(rfm.m, 0) AS m
    FROM members_member m
    LEFT JOIN agg ON agg.member_id = m.id
    LEFT JOIN rfm ON rfm.member_id = m.id
    WHERE m.status <> 'erased'
),
scored AS (
    SELECT
        base.*,
        CASE
            WHEN last_at IS NULL THEN 0
            ELSE ROUND({least}({greatest}(
                (days_since / interval_days - 1.0) / CAST(%(overdue)s AS NUMERIC), 0.0), 1.0), 3)
        END AS churn
    FROM base
)
INSERT INTO members_memberscore (member_id, {columns})
SELECT
    member_id,
    %(now)s,
    first_at,
    last_at,
    CASE WHEN days_since IS NULL THEN NULL ELSE CAST(FLOOR(days_since) AS INTEGER) END,
    orders,
    orders_12m,
    spend,
    spend_12m,
    CASE WHEN orders > 0 THEN ROUND(spend * 1.0 / orders, 2) ELSE 0 END,
    r,
    f,
    m,
    spend,
    ROUND(spend_12m * (1 - churn), 2),
    churn,
    CASE
        WHEN orders = 0 THEN 'none'
        WHEN orders_online >= %(share)s * orders THEN 'online'
        WHEN orders - orders_online >= %(share)s * orders THEN 'store'
        ELSE 'both'
    END
FROM scored
WHERE 1 = 1
ON CONFLICT (member_id) DO UPDATE SET {updates}
"""


def _dialect_sql() -> str:
    if connection.vendor == "postgresql":
        parts = {
            "days_since": "EXTRACT(EPOCH FROM (%(now)s - agg.last_at)) / 86400.0",
            "days_between": "(EXTRACT(EPOCH FROM (agg.last_at - agg.first_at)) / 86400.0)",
            "greatest": "GREATEST",
            "least": "LEAST",
        }
    elif connection.vendor == "sqlite":
        parts = {
            "days_since": "(julianday(%(now)s) - julianday(agg.last_at))",
            "days_between": "(julianday(agg.last_at) - julianday(agg.first_at))",
            "greatest": "MAX",
            "least": "MIN",
        }
    else:  # pragma: no cover - the project runs on PostgreSQL and SQLite only
        raise NotImplementedError(f"member scores are not written for {connection.vendor}")
    return _SQL.format(
        columns=", ".join(_COLUMNS),
        updates=", ".join(f"{column} = EXCLUDED.{column}" for column in _COLUMNS),
        **parts,
    )


@transaction.atomic
def member_scores_compute(*, now: datetime.datetime | None = None) -> int:
    """Recompute the scores of every non-erased member in one statement; returns the number of
    score rows written. Safe to run at any time and any number of times (an upsert)."""
    moment = now or timezone.now()
    adapt = connection.ops.adapt_datetimefield_value
    params = {
        "now": adapt(moment),
        "since": adapt(moment - datetime.timedelta(days=RFM_WINDOW_DAYS)),
        "default_interval": float(CHURN_DEFAULT_INTERVAL_DAYS),
        "overdue": float(CHURN_OVERDUE_INTERVALS),
        "share": CHANNEL_SHARE,
    }
    MemberScore.objects.filter(member__status=Member.Status.ERASED).delete()
    with connection.cursor() as cursor:
        cursor.execute(_dialect_sql(), params)
        written = cursor.rowcount
    if connection.vendor != "postgresql":
        # Python's sqlite3 reports no row count for a statement that starts with WITH.
        written = Member.objects.not_erased().count()
    return written
