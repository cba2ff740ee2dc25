"""Helpers for the tests against real services: a campaign of N members written in bulk, a real
`celery worker` process on Redis (started, killed, restarted), and a real SMTP server."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

from django.db import connection
from django.utils import timezone

from campaigns.models import Campaign, Message
from members.models import ConsentEvent, ConsentText, Member, Segment
from tests.campaigns.factories import VariantFactory

BASE_DIR = Path(__file__).resolve().parents[2]
CELERY = Path(sys.executable).parent / "celery"


def club_build(*, members: int, seed: int = 0) -> dict[str, set[int]]:
    """`members` members in bulk: every 10th without consent, every 50th erased after the
    snapshot would see it (status set later), every 25th already at the frequency cap. Returns
    the ids per kind."""
    text, _ = ConsentText.objects.get_or_create(
        purpose="email", version=1, defaults={"text_sv": "Ja", "text_en": "Yes"}
    )
    rows = Member.objects.bulk_create(
        [
            Member(
                number=f"{seed:02d}{n:08d}",
                first_name=f"Medlem{n}",
                email=f"m{seed}-{n}@example.se",
                language="sv" if n % 3 else "en",
            )
            for n in range(members)
        ],
        batch_size=2000,
    )
    kinds: dict[str, set[int]] = {"no_consent": set(), "capped": set(), "erased": set()}
    events = []
    for n, member in enumerate(rows):
        if n % 10 == 1:
            kinds["no_consent"].add(member.pk)
            continue
        events.append(
            ConsentEvent(member=member, purpose="email", granted=True, text=text, source="import")
        )
        if n % 25 == 2:
            kinds["capped"].add(member.pk)
        if n % 50 == 3:
            kinds["erased"].add(member.pk)
    ConsentEvent.objects.bulk_create(events, batch_size=5000)
    earlier = Campaign.objects.create(name="Tidigare", state="sent")
    now = timezone.now()
    Message.objects.bulk_create(
        [
            Message(
                campaign=earlier,
                member_id=pk,
                channel="email",
                occasion_key=f"earlier:{i}",
                state="sent",
                sent_at=now,
            )
            for pk in kinds["capped"]
            for i in range(3)
        ],
        batch_size=5000,
    )
    return kinds


def campaign_ready(*, holdout: str = "0.1") -> Campaign:
    segment = Segment.objects.create(
        name=f"Alla {uuid.uuid4().hex[:6]}", rules={"op": "and", "rules": []}
    )
    campaign = Campaign.objects.create(name="Vårkampanj", segment=segment, holdout_share=holdout)
    VariantFactory(campaign=campaign)
    return campaign


def database_url() -> str:
    db = connection.settings_dict
    return f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


class Worker:
    """A real `celery worker --pool solo` on its own Redis queue, sending to `smtp_port`."""

    def __init__(self, *, queue: str, smtp_port: int, log: Path, batch: int = 50) -> None:
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": os.environ.get("HOME", str(log.parent)),
            "DJANGO_SETTINGS_MODULE": "config.settings.local",
            "REDIS_URL": os.environ["REDIS_URL"],
            "DATABASE_URL": database_url(),
            "EMAIL_URL": f"smtp://127.0.0.1:{smtp_port}",
            "EMAIL_TIMEOUT": "10",
            "CAMPAIGNS_SEND_BATCH": str(batch),
            "SITE_URL": "https://club.example.se",
            "DEBUG": "0",
        }
        self.log = log
        self._log_file = log.open("a")
        self.process = subprocess.Popen(
            [
                str(CELERY),
                "-A",
                "config",
                "worker",
                "--pool",
                "solo",
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
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 90
        while " ready." not in log.read_text():
            if self.process.poll() is not None:
                raise RuntimeError(f"the worker exited early:\n{log.read_text()}")
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"the worker did not start within 90 s:\n{log.read_text()}")
            time.sleep(0.1)

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)
        self._log_file.close()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self._log_file.close()


def wait_until(condition, *, timeout: float, every=None) -> bool:
    """Poll `condition` (a database read) until true, bounded; `every` runs between polls."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        if every is not None:
            every()
        time.sleep(0.2)
    return condition()
