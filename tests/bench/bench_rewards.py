"""Rewards benchmarks on the seeded club (its ledger comes from rewards/demo_points.py):

- the expiry job over every member's due lots (< 30 s for 100 000 members), and a second run
  the same day that expires nothing;
- the yearly tier review with every account due (< 30 s for 100 000 members);
- redemptions through the API: a real gunicorn server on loopback (one process per core, four
  threads each), 8 concurrent clients (2 processes × BENCH_CLIENT_THREADS, keep-alive
  connections, a member's token each), each request its own Idempotency-Key; at least 300
  redemptions per second with p95 under 50 ms, and `points_reconcile` clean afterwards.

  Why 8 clients: each client waits for its answer before it sends again, so by Little's law the
  mean latency is clients / throughput. At 300/s, 16 clients would mean 53 ms on average however
  fast each request is served (they would only be queueing in front of two cores); 8 clients keep
  the server saturated (more add no throughput) while latency still measures service time.
"""

from __future__ import annotations

import datetime
import http.client
import json
import multiprocessing
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

from django.db import connection
from django.utils import timezone

EXPIRY_TARGET = 30.0
REVIEW_TARGET = 30.0
RATE_TARGET = 300.0
P95_TARGET_MS = 50.0
CLIENT_MEMBERS = 400
WARMUP = 300
REQUESTS = int(os.environ.get("BENCH_REDEMPTIONS") or 6000)
PROCESSES = 2
THREADS = int(os.environ.get("BENCH_CLIENT_THREADS") or 4)
ROOT = Path(__file__).resolve().parents[2]


def _scaled(target: float, members: int) -> float:
    return max(target * min(members / 100_000, 1), 1.0)


def bench_expiry(ctx) -> None:
    from rewards.models import PointsLot
    from rewards.services.ledger import points_expire_due

    today = timezone.localdate()
    # Make the older half of every member's points due: everything earned more than a year ago
    # reaches its last day yesterday.
    due = PointsLot.objects.filter(
        remaining__gt=0, earned_at__lt=timezone.now() - datetime.timedelta(days=365)
    ).update(expires_on=today - datetime.timedelta(days=1))
    ctx.print(f"  {due} lots made due")
    started = time.perf_counter()
    result = points_expire_due(today=today)
    ctx.record(
        f"points_expire_due ({result.members} members, {result.lots} lots)",
        time.perf_counter() - started,
        _scaled(EXPIRY_TARGET, ctx.members),
    )
    again = points_expire_due(today=today)
    ctx.record(
        "expiry run again the same day: lots expired",
        again.lots,
        0,
        passed=again.lots == 0,
        unit="",
    )


def bench_tier_review(ctx) -> None:
    from rewards.models import PointsAccount
    from rewards.services.tiers import tiers_review

    today = timezone.localdate()
    due = PointsAccount.objects.filter(tier__isnull=False).update(tier_review_on=today)
    started = time.perf_counter()
    result = tiers_review(today=today)
    ctx.record(
        f"tiers_review ({due} accounts due; kept {result.kept}, grace {result.grace_started})",
        time.perf_counter() - started,
        _scaled(REVIEW_TARGET, ctx.members),
    )


# --- Redemptions through the API ------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _prepare_clients(count: int) -> tuple[int, list[str]]:
    """A reward anyone may redeem (10 points, unlimited stock) and `count` members with a login,
    100 000 points each and an API token."""
    from rest_framework.authtoken.models import Token

    from members.models import Member
    from rewards.models import Reward
    from rewards.services.ledger import points_award

    reward = Reward.objects.create(
        kind=Reward.Kind.VOUCHER,
        name_sv="Benchmark-värdecheck",
        name_en="Benchmark voucher",
        points_cost=10,
        voucher_value=50,
        voucher_valid_days=30,
        order=999,
    )
    members = list(
        Member.objects.filter(status=Member.Status.ACTIVE, user__isnull=False)
        .select_related("user")
        .order_by("pk")[:count]
    )
    tokens = []
    for member in members:
        points_award(
            member=member,
            points=100_000,
            reason="Benchmark",
            idempotency_key=f"bench:{member.pk}",
            counts_for_tier=False,
        )
        tokens.append(Token.objects.get_or_create(user=member.user)[0].key)
    return reward.pk, tokens


class _Connection:
    """A minimal HTTP/1.1 keep-alive client: the load generator shares the machine's two cores
    with the server and the database, so it writes pre-formatted requests and reads only the
    status line and Content-Length (http.client costs it four times as much CPU)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.sock: socket.socket | None = None
        self.buffer = b""

    def _open(self) -> socket.socket:
        sock = socket.create_connection(("127.0.0.1", self.port), timeout=30)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buffer = b""
        return sock

    def _fill(self, sock: socket.socket) -> None:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("the server closed the connection")
        self.buffer += chunk

    def request(self, head: bytes) -> int:
        """Send a request (head only, no body); the response's status code."""
        if self.sock is None:
            self.sock = self._open()
        sock = self.sock
        try:
            sock.sendall(head)
            while (end := self.buffer.find(b"\r\n\r\n")) < 0:
                self._fill(sock)
            header, self.buffer = self.buffer[:end].decode("latin-1"), self.buffer[end + 4 :]
            lines = header.split("\r\n")
            status = int(lines[0].split(" ", 2)[1])
            fields = {
                name.strip().lower(): value.strip()
                for name, _sep, value in (line.partition(":") for line in lines[1:])
            }
            length = int(fields.get("content-length", "0"))
            while len(self.buffer) < length:
                self._fill(sock)
            self.buffer = self.buffer[length:]
            if fields.get("connection", "").lower() == "close":
                self.close()
            return status
        except (OSError, ValueError, IndexError):
            self.close()
            return 0

    def close(self) -> None:
        if self.sock is not None:
            self.sock.close()
        self.sock = None


def _client(port: int, path: str, tokens: list[str], quota: int, out) -> None:
    """One client process: THREADS keep-alive connections sharing `quota` requests, each with a
    token of its own member and a fresh Idempotency-Key."""
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    lock = threading.Lock()
    left = [quota]

    def worker(index: int) -> None:
        connection = _Connection(port)
        n = 0
        while True:
            with lock:
                if left[0] <= 0:
                    break
                left[0] -= 1
            token = tokens[(index + n * THREADS) % len(tokens)]
            n += 1
            head = (
                f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                f"Authorization: Token {token}\r\nIdempotency-Key: {uuid.uuid4().hex}\r\n"
                "Content-Length: 0\r\nAccept-Language: sv\r\n\r\n"
            ).encode()
            started = time.perf_counter()
            code = connection.request(head)
            elapsed = time.perf_counter() - started
            with lock:
                latencies.append(elapsed)
                statuses[code] = statuses.get(code, 0) + 1
        connection.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    out.put((latencies, statuses))


def _load(port: int, path: str, tokens: list[str], total: int) -> tuple[float, list[float], dict]:
    context = multiprocessing.get_context("fork")
    out = context.Queue()
    share = len(tokens) // PROCESSES
    processes = [
        context.Process(
            target=_client,
            args=(port, path, tokens[i * share : (i + 1) * share], total // PROCESSES, out),
        )
        for i in range(PROCESSES)
    ]
    started = time.perf_counter()
    for process in processes:
        process.start()
    results = [out.get() for _ in processes]
    wall = time.perf_counter() - started
    for process in processes:
        process.join()
    latencies = [value for result in results for value in result[0]]
    statuses: dict[int, int] = {}
    for _latencies, counts in results:
        for code, count in counts.items():
            statuses[code] = statuses.get(code, 0) + count
    return wall, latencies, statuses


def _start_server(port: int) -> subprocess.Popen:
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.local",
        DEBUG="0",
        LOG_LEVEL="WARNING",
        API_THROTTLE_USER="1000000/min",
    )
    if env.get("REDIS_URL"):
        # The confirmation e-mails queue up in a Redis database of their own, flushed after.
        env["REDIS_URL"] = env["REDIS_URL"].rsplit("/", 1)[0] + "/15"
    workers = str(os.cpu_count() or 2)
    server = subprocess.Popen(
        [
            str(Path(sys.executable).with_name("gunicorn")),
            "config.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            workers,
            "--worker-class",
            "gthread",
            "--threads",
            "4",
            "--keep-alive",
            "30",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz")
            conn.getresponse().read()
            return server
        except OSError:
            time.sleep(0.3)
    server.kill()
    raise RuntimeError("gunicorn did not start within 60 s")


def _flush_bench_broker() -> None:
    url = os.environ.get("REDIS_URL")
    if url:
        import redis

        redis.Redis.from_url(url.rsplit("/", 1)[0] + "/15").flushdb()


def bench_redemptions(ctx) -> None:
    from rewards.models import Redemption, Reward
    from rewards.selectors.ledger import points_reconcile

    reward_id, tokens = _prepare_clients(CLIENT_MEMBERS)
    connection.close()  # forked clients must not share the bench's connection
    port = _free_port()
    path = f"/api/v1/rewards/{reward_id}/redeem/"
    server = _start_server(port)
    try:
        _wall, _latencies, warm = _load(port, path, tokens, WARMUP)
        wall, latencies, statuses = _load(port, path, tokens, REQUESTS)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
        _flush_bench_broker()
    latencies.sort()
    ok = statuses.get(201, 0)
    rate = ok / wall
    p95 = latencies[int(len(latencies) * 0.95) - 1] * 1000 if latencies else float("inf")
    p50 = latencies[len(latencies) // 2] * 1000 if latencies else float("inf")
    ctx.print(
        f"  {len(latencies)} requests by {PROCESSES * THREADS} clients in {wall:.1f} s: "
        f"statuses {json.dumps(statuses)}, p50 {p50:.1f} ms"
    )
    ctx.record(
        "redemptions per second (API)", rate, RATE_TARGET, passed=rate >= RATE_TARGET, unit="/s"
    )
    ctx.record("redemption p95 latency (API)", p95, P95_TARGET_MS, unit="ms")
    made = Redemption.objects.filter(reward_id=reward_id).count()
    ctx.record(
        "redemptions stored = 201 responses",
        made,
        warm.get(201, 0) + ok,
        unit="",
        passed=made == warm.get(201, 0) + ok,
    )
    Reward.objects.filter(pk=reward_id).update(is_active=False)
    started = time.perf_counter()
    problems = points_reconcile()
    ctx.record(
        f"points_reconcile after the load ({len(problems)} differences)",
        time.perf_counter() - started,
        60.0,
        passed=not problems,
    )


def run(ctx) -> None:
    bench_expiry(ctx)
    bench_tier_review(ctx)
    bench_redemptions(ctx)
