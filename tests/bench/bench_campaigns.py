"""Campaign benchmark: the outbox of a campaign to every member built set-based, then sent by two
real Celery worker processes (threads pool, BENCH_CAMPAIGN_THREADS send tasks each) to a local
SMTP sink, against a plain smtplib loop sending the same
number of pre-rendered messages to the same sink over one connection.

Targets: outbox (snapshot + INSERT … SELECT) under 10 s for 100 000 members; sending at 500
messages/s or more, and at least 0.5× the plain loop's rate (the ratio is printed); worker memory
flat (growth under 50 MB over the run).
"""

from __future__ import annotations

import os
import smtplib
import socket
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

from aiosmtpd.controller import Controller
from django.utils import timezone

BUILD_TARGET = 10.0
RATE_TARGET = 500.0
RATIO_TARGET = 0.5
MEMORY_TARGET_MB = 50.0
BASELINE_MESSAGES = 5000
# Two worker processes, each running this many send tasks at once in threads: every task holds
# its own database and SMTP connection, so their per-message commits share the WAL flushes.
THREADS = int(os.environ.get("BENCH_CAMPAIGN_THREADS") or 4)
BASE_DIR = Path(__file__).resolve().parents[2]


class _Sink:
    """Accepts and counts; keeps nothing."""

    def __init__(self) -> None:
        self.count = 0
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd's name
        with self.lock:
            self.count += 1
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _worker(queue: str, port: int, log: Path) -> subprocess.Popen:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.local",
        "EMAIL_URL": f"smtp://127.0.0.1:{port}",
        "CAMPAIGNS_SEND_BATCH": "500",
        "DEBUG": "0",
        "LOG_LEVEL": "WARNING",
    }
    celery = Path(sys.executable).parent / "celery"
    process = subprocess.Popen(
        [
            str(celery),
            "-A",
            "config",
            "worker",
            "--pool",
            "threads",
            "--concurrency",
            str(THREADS),
            "--queues",
            queue,
            "--hostname",
            f"{queue}-{uuid.uuid4().hex[:6]}@%h",
            "--without-heartbeat",
            "--without-gossip",
            "--without-mingle",
            "--loglevel",
            "INFO",
        ],
        cwd=BASE_DIR,
        env=env,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 120
    while " ready." not in log.read_text():
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise RuntimeError(f"worker did not start:\n{log.read_text()[-2000:]}")
        time.sleep(0.2)
    return process


def run(ctx) -> None:
    from celery import current_app

    from campaigns.models import Campaign, Message, Variant
    from campaigns.services import dispatch
    from campaigns.services.campaigns import campaign_start
    from campaigns.services.content import email_personalise, email_skeleton
    from members.models import Segment

    scale = max(ctx.members, 1) / 100_000
    segment = Segment.objects.create(
        name=f"Bench {uuid.uuid4().hex[:6]}", rules={"op": "and", "rules": []}
    )
    campaign = Campaign.objects.create(
        name="Bench",
        segment=segment,
        holdout_share="0.1",
        state="scheduled",
        send_at=timezone.now(),
    )
    for name in ("A", "B"):
        Variant.objects.create(
            campaign=campaign,
            name=name,
            share="0.5",
            subject_sv="Hej {{ first_name }}",
            subject_en="Hi {{ first_name }}",
            blocks_sv=[
                {"type": "heading", "text": "Hej {{ first_name }}!"},
                {"type": "text", "text": "Du har {{ points_balance }} poäng."},
                {"type": "button", "text": "Handla", "url": "https://example.se/"},
            ],
        )
    saved_send_later = dispatch.send_later
    dispatch.send_later = lambda campaign_id: None  # the bench sends to its own queue below
    try:
        with ctx.timed(
            "campaign outbox built (snapshot + INSERT … SELECT)",
            target=max(BUILD_TARGET * min(scale, 1), 1),
        ):
            campaign_start(campaign_id=campaign.pk)
    finally:
        dispatch.send_later = saved_send_later
    campaign.refresh_from_db()
    ctx.print(f"  {campaign.targeted_count} messages in the outbox")

    sink = _Sink()
    port = _free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        # The plain loop: pre-rendered messages over one smtplib connection.
        variant = campaign.variants.first()
        skeleton = email_skeleton(content=variant.content("sv"), language="sv")
        body = email_personalise(
            skeleton,
            context={"first_name": "Kim", "points_balance": 10},
            click_urls=["https://example.se/c/x"],
            open_url="https://example.se/o",
            unsubscribe_url="https://example.se/u",
        )
        from django.core.mail import EmailMultiAlternatives

        email = EmailMultiAlternatives(
            subject=body.subject,
            body=body.text,
            from_email="club@example.se",
            to=["kim@example.se"],
        )
        email.attach_alternative(body.html, "text/html")
        raw = email.message().as_bytes(linesep="\r\n")
        count = min(BASELINE_MESSAGES, max(campaign.targeted_count, 100))
        started = time.perf_counter()
        with smtplib.SMTP("127.0.0.1", port) as smtp:
            for n in range(count):
                smtp.sendmail("club@example.se", [f"m{n}@example.se"], raw)
        baseline = count / (time.perf_counter() - started)
        ctx.print(f"  plain smtplib loop: {baseline:.0f} messages/s")

        queue = f"bench-campaigns-{uuid.uuid4().hex[:8]}"
        logs = [Path(f"/tmp/bench-campaigns-worker{i}.log") for i in range(2)]  # noqa: S108
        workers = [_worker(queue, port, log) for log in logs]
        try:
            rss_start = [_rss_mb(w.pid) for w in workers]
            before = sink.count
            current_app.conf.task_always_eager = False
            started = time.perf_counter()
            for _ in range(len(workers) * THREADS):
                current_app.send_task(
                    dispatch.SEND_TASK, kwargs={"campaign_id": campaign.pk}, queue=queue
                )
            peak = list(rss_start)
            deadline = time.monotonic() + 3600
            while Campaign.objects.filter(pk=campaign.pk, state="sending").exists():
                if time.monotonic() > deadline:
                    raise RuntimeError("the campaign did not finish within an hour")
                peak = [max(p, _rss_mb(w.pid)) for p, w in zip(peak, workers, strict=True)]
                time.sleep(0.5)
            elapsed = time.perf_counter() - started
            sent = Message.objects.filter(campaign=campaign, state="sent").count()
            delivered = sink.count - before
        finally:
            for worker in workers:
                worker.terminate()
                worker.wait(timeout=60)
    finally:
        controller.stop()
    rate = sent / elapsed if elapsed else 0.0
    ratio = rate / baseline if baseline else 0.0
    growth = max(p - s for p, s in zip(peak, rss_start, strict=True))
    ctx.print(
        f"  campaign: {sent} sent ({delivered} at the sink) in {elapsed:.1f} s "
        f"= {rate:.0f} messages/s; ratio to the plain loop {ratio:.2f}"
    )
    ctx.record(
        "campaign send rate, 2 workers (messages/s, at least)",
        rate,
        RATE_TARGET,
        passed=rate >= RATE_TARGET,
        unit="msg/s",
    )
    ctx.record(
        "campaign rate / plain smtplib loop (at least)",
        ratio,
        RATIO_TARGET,
        passed=ratio >= RATIO_TARGET,
        unit="×",
    )
    ctx.record("worker memory growth while sending", growth, MEMORY_TARGET_MB, unit="MB")
