"""Purchase ingestion through the API at retail speed (POST /api/v1/purchases/, PostgreSQL):

- one 1 000-row batch answered in under 1 s (the median of three, each a fresh batch, measured
  by the client through a real gunicorn server on loopback, as bench_rewards does);
- 100 000 purchases (BENCH_INGEST_PURCHASES) sent as 1 000-row batches by 4 concurrent clients
  in under 60 s, every row answered "created";
- afterwards `points_reconcile` finds nothing, and a sample of members' purchases, replayed one
  by one (purchase_record) for twin members in the same order, earn exactly the same entries
  (points, debt paid off, tier points and reason) as the batch path gave.

The bench makes its own members (fresh, so a twin starts exactly alike), a store and an
integration login with members.add_purchase; the purchases are spread over the last 30 days, in
store and online, so earning rules, tiers and bonus periods of the demo club apply.
"""

from __future__ import annotations

import datetime
import http.client
import json
import os
import random
import signal
import statistics
import threading
import time
from decimal import Decimal

from django.db import connection
from django.utils import timezone

from tests.bench.bench_rewards import _flush_bench_broker, _free_port, _start_server

BATCH = 1000
BATCH_TARGET = 1.0
TOTAL = int(os.environ.get("BENCH_INGEST_PURCHASES") or 100_000)
LOAD_TARGET = 60.0
CLIENTS = 4
MEMBERS = 20_000
SAMPLE_MEMBERS = 40


def _prepare() -> tuple[str, list[str], str]:
    """An integration token, the numbers of MEMBERS fresh members, a store code."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Permission
    from rest_framework.authtoken.models import Token

    from members.models import Member, Store

    user = get_user_model().objects.create_user(
        email="bench-till@example.com", password=None, is_staff=False
    )
    user.user_permissions.add(Permission.objects.get(codename="add_purchase"))
    token = Token.objects.create(user=user).key
    store, _created = Store.objects.get_or_create(code="bench", defaults={"name": "Bench store"})
    start = (Member.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1
    Member.objects.bulk_create(
        [
            Member(
                number=f"B{start + i:09d}",
                email=f"bench{start + i}@example.com",
                first_name="Bench",
                last_name=f"Member {i}",
            )
            for i in range(MEMBERS + SAMPLE_MEMBERS)
        ],
        batch_size=5000,
    )
    numbers = list(
        Member.objects.filter(number__startswith="B")
        .order_by("pk")
        .values_list("number", flat=True)
    )
    return token, numbers, store.code


def _rows(rng: random.Random, numbers: list[str], store: str, prefix: str, count: int):
    now = timezone.now()
    rows = []
    for i in range(count):
        in_store = rng.random() < 0.6
        amount = Decimal(rng.randint(1000, 250_000)) / 100
        row = {
            "member": rng.choice(numbers),
            "purchased_at": (now - datetime.timedelta(minutes=rng.randint(5, 43_000))).isoformat(),
            "amount": str(amount),
            "currency": "SEK",
            "channel": "store" if in_store else "online",
            "source": "bench",
            "external_id": f"{prefix}-{i}",
            "lines": [{"product": "Vara", "category": "Bench", "amount": str(amount)}],
        }
        if in_store:
            row["store"] = store
        rows.append(row)
    return rows


def _post(port: int, token: str, body: bytes) -> tuple[int, dict, float]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    started = time.perf_counter()
    conn.request(
        "POST",
        "/api/v1/purchases/",
        body=body,
        headers={"Authorization": f"Token {token}", "Content-Type": "application/json"},
    )
    response = conn.getresponse()
    data = response.read()
    elapsed = time.perf_counter() - started
    conn.close()
    try:
        answer = json.loads(data)
    except ValueError:
        answer = {}
    return response.status, answer, elapsed


def _twin_check(ctx, sample_rows: list[dict], twins: dict[str, str]) -> None:
    """Replay each sampled member's rows one by one for their twin; compare the entries."""
    from members.models import Purchase
    from members.services.purchases import purchase_record
    from rewards.models import PointsEntry

    def entries(source: str, external_ids: list[str]):
        ids = dict(
            Purchase.objects.filter(source=source, external_id__in=external_ids).values_list(
                "external_id", "pk"
            )
        )
        found = {
            e.idempotency_key: (e.amount, e.debt_change, e.qualifying, e.reason, e.reason_params)
            for e in PointsEntry.objects.filter(
                idempotency_key__in=[f"purchase:{pk}:earn" for pk in ids.values()]
            )
        }
        return [found.get(f"purchase:{ids[x]}:earn") for x in external_ids]

    for row in sample_rows:
        purchase_record(
            member=twins[row["member"]],
            purchased_at=row["purchased_at"],
            amount=row["amount"],
            currency=row["currency"],
            channel=row["channel"],
            store=row.get("store"),
            source="bench-twin",
            external_id=row["external_id"],
            lines=row["lines"],
        )
    ids = [row["external_id"] for row in sample_rows]
    batch, single = entries("bench", ids), entries("bench-twin", ids)
    same = sum(1 for a, b in zip(batch, single, strict=True) if a == b)
    ctx.record(
        f"sampled purchases earning as one by one ({len(ids)} of {SAMPLE_MEMBERS} members)",
        same,
        len(ids),
        passed=same == len(ids) and len(ids) > 0,
        unit="",
    )


def run(ctx) -> None:
    from members.models import Purchase
    from rewards.selectors.ledger import points_reconcile

    rng = random.Random(2026)
    token, numbers, store = _prepare()
    load_members, twin_members = numbers[:MEMBERS], numbers[MEMBERS:]
    sample = load_members[:SAMPLE_MEMBERS]
    twins = dict(zip(sample, twin_members, strict=True))
    singles = [_rows(rng, load_members, store, f"single{n}", BATCH) for n in range(4)]
    batches = [
        _rows(rng, load_members, store, f"load{n}", BATCH) for n in range(max(TOTAL // BATCH, 1))
    ]
    bodies = [json.dumps(rows).encode() for rows in batches]
    connection.close()
    port = _free_port()
    server = _start_server(port)
    try:
        _post(port, token, json.dumps(singles[0]).encode())  # warm-up
        timings = []
        for rows in singles[1:]:
            code, answer, elapsed = _post(port, token, json.dumps(rows).encode())
            if code != 201:
                ctx.print(f"  batch answered {code}: {str(answer)[:300]}")
            timings.append(elapsed)
        ctx.record("one 1 000-row purchase batch (API, median of 3)", statistics.median(timings),
                   BATCH_TARGET)  # fmt: skip

        statuses: dict[int, int] = {}
        created = [0]
        lock = threading.Lock()
        queue = list(range(len(bodies)))

        def client() -> None:
            while True:
                with lock:
                    if not queue:
                        return
                    index = queue.pop()
                code, answer, _elapsed = _post(port, token, bodies[index])
                with lock:
                    statuses[code] = statuses.get(code, 0) + 1
                    created[0] += int(answer.get("created", 0))

        threads = [threading.Thread(target=client) for _ in range(CLIENTS)]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        wall = time.perf_counter() - started
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
        _flush_bench_broker()
    sent = len(bodies) * BATCH
    ctx.print(f"  {sent} purchases in {len(bodies)} batches: statuses {json.dumps(statuses)}")
    ctx.record(f"{sent} purchases by {CLIENTS} API clients", wall, LOAD_TARGET * sent / 100_000)
    stored = Purchase.objects.filter(source="bench", external_id__startswith="load").count()
    ctx.record("purchases stored = rows answered created", stored, created[0], unit="",
               passed=stored == created[0] == sent)  # fmt: skip
    problems = points_reconcile()
    ctx.record(f"points_reconcile after ingestion ({len(problems)} differences)", len(problems),
               0, unit="", passed=not problems)  # fmt: skip
    from rewards.models import PointsEntry

    sample_rows = [row for rows in [*singles, *batches] for row in rows if row["member"] in twins]
    # The order the server earned them in: by their earn entries (one account lock at a time).
    pks = dict(
        Purchase.objects.filter(
            source="bench", external_id__in=[r["external_id"] for r in sample_rows]
        ).values_list("external_id", "pk")
    )
    entry_ids = dict(
        PointsEntry.objects.filter(
            idempotency_key__in=[f"purchase:{pk}:earn" for pk in pks.values()]
        ).values_list("idempotency_key", "pk")
    )
    sample_rows.sort(
        key=lambda row: entry_ids.get(f"purchase:{pks.get(row['external_id'])}:earn", 0)
    )
    _twin_check(ctx, sample_rows, twins)
