"""The guarantees of the outbox against the real thing: a Celery worker process on Redis sending
to an SMTP server on loopback, killed with SIGKILL in the middle, and a task delivered twice.

Synchronised on events: the SMTP server's arrivals (a condition variable) and rows in the
database, each wait bounded."""

from __future__ import annotations

import os
import uuid
from collections import Counter

import pytest
import redis
from django.utils import timezone

from campaigns.models import Campaign, Message
from campaigns.services import dispatch
from campaigns.services.campaigns import campaign_schedule, campaign_start
from config.celery_app import app as celery_app
from members.models import Member
from tests.campaigns.realworld import Worker, campaign_ready, club_build, wait_until
from tests.core.test_real_services import smtp_server  # noqa: F401 - the fixture

pytestmark = [pytest.mark.postgres, pytest.mark.redis]


@pytest.fixture
def not_eager(monkeypatch):
    saved = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = False
    # The test sends the tasks itself, to its own queue.
    monkeypatch.setattr(dispatch, "send_later", lambda campaign_id: None)
    yield
    celery_app.conf.task_always_eager = saved


def _start(campaign: Campaign, marketer, kinds) -> set[int]:
    campaign_schedule(campaign=campaign, actor=marketer)
    assert campaign_start(campaign_id=campaign.pk)
    # erased after the snapshot froze them: the rule at send time must catch it
    Member.objects.filter(pk__in=kinds["erased"]).update(status="erased", erased_at=timezone.now())
    holdout = set(
        Message.objects.filter(campaign=campaign, is_holdout=True).values_list(
            "member_id", flat=True
        )
    )
    everyone = set(Message.objects.filter(campaign=campaign).values_list("member_id", flat=True))
    return everyone - holdout - kinds["no_consent"] - kinds["capped"] - kinds["erased"]


def _send(queue: str, campaign: Campaign, *, task_id: str | None = None) -> None:
    celery_app.send_task(
        dispatch.SEND_TASK, kwargs={"campaign_id": campaign.pk}, queue=queue, task_id=task_id
    )


def _mail_arrived(smtp, count: int, *, tick, rounds: int = 60) -> bool:
    """Wait on the SMTP server's arrivals (5 s at a time, at most 5 min), ticking in between."""
    for _ in range(rounds):
        if smtp.wait_for(count, timeout=5):
            return True
        for _ in range(25):
            tick()
    return False


def _received(smtp) -> Counter:
    emails = dict(Member.objects.values_list("email", "pk"))
    return Counter(emails[rcpt[0]] for rcpt, _message in list(smtp.messages))


def _done(campaign: Campaign):
    return lambda: Campaign.objects.get(pk=campaign.pk).state == "sent"


def _tick(queue: str, campaign: Campaign):
    """What the periodic tick does in production: when nothing moved for a while and nothing is
    waiting on the broker (a task lost with a killed worker), ask for sending again."""
    broker = redis.Redis.from_url(os.environ["REDIS_URL"])
    state = {"polls": 0, "moved": -1}

    def tick() -> None:
        state["polls"] += 1
        if state["polls"] % 25:
            return
        moved = Message.objects.filter(campaign=campaign).exclude(state="queued").count()
        if moved == state["moved"] and not broker.llen(queue):
            _send(queue, campaign)
        state["moved"] = moved

    return tick


def _mail_arrived(smtp, count: int, *, tick, rounds: int = 60) -> bool:
    """Wait on the SMTP server's arrivals (5 s at a time, at most 5 min), ticking in between."""
    for _ in range(rounds):
        if smtp.wait_for(count, timeout=5):
            return True
        for _ in range(25):
            tick()
    return False


def _received(smtp) -> Counter:
    emails = dict(Member.objects.values_list("email", "pk"))
    return Counter(emails[rcpt[0]] for rcpt, _message in list(smtp.messages))


def _done(campaign: Campaign):
    return lambda: Campaign.objects.get(pk=campaign.pk).state == "sent"


def _tick(queue: str, campaign: Campaign):
    """What the periodic tick does in production: ask again while messages wait and nothing is
    queued on the broker (a task lost with a killed worker, or a broker that was emptied)."""
    broker = redis.Redis.from_url(os.environ["REDIS_URL"])
    state = {"polls": 0}

    def tick() -> None:
        state["polls"] += 1
        if state["polls"] % 25 == 0 and not broker.llen(queue):
            _send(queue, campaign)

    return tick


def _assert_reasons(campaign: Campaign, kinds) -> None:
    skipped = dict(
        Message.objects.filter(campaign=campaign, state="skipped").values_list(
            "member_id", "skip_reason"
        )
    )
    assert all(skipped.values()), "every skipped message has a reason"
    for member_id in kinds["no_consent"]:
        assert skipped.get(member_id) in ("no_consent", "holdout")
    for member_id in kinds["erased"]:
        assert skipped.get(member_id) in ("erased", "holdout")
    for member_id in kinds["capped"] - kinds["erased"]:
        assert skipped.get(member_id) in ("frequency_cap", "holdout")


@pytest.mark.django_db(transaction=True)
def test_5000_members_get_exactly_one_email_each_and_every_skip_has_a_reason(
    smtp_server,  # noqa: F811
    not_eager,
    marketer,
    tmp_path,
):
    kinds = club_build(members=5000)
    campaign = campaign_ready()
    eligible = _start(campaign, marketer, kinds)
    queue = f"test-campaigns-{uuid.uuid4().hex[:10]}"
    worker = Worker(queue=queue, smtp_port=smtp_server.port, log=tmp_path / "worker.log")
    try:
        _send(queue, campaign)
        assert wait_until(_done(campaign), timeout=600, every=_tick(queue, campaign)), (
            worker.log.read_text()[-3000:]
        )
    finally:
        worker.stop()

    received = _received(smtp_server)
    assert set(received) == eligible
    assert max(received.values()) == 1
    assert Message.objects.filter(campaign=campaign, state="sent").count() == len(eligible)
    _assert_reasons(campaign, kinds)


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_twice_mid_run_sends_nobody_two_and_lists_what_is_in_doubt(
    smtp_server,  # noqa: F811
    not_eager,
    marketer,
    tmp_path,
):
    kinds = club_build(members=5000)
    campaign = campaign_ready()
    eligible = _start(campaign, marketer, kinds)
    queue = f"test-campaigns-{uuid.uuid4().hex[:10]}"
    log = tmp_path / "worker.log"

    for kill_at in (1000, 2500):
        worker = Worker(queue=queue, smtp_port=smtp_server.port, log=log)
        _send(queue, campaign)
        arrived = _mail_arrived(smtp_server, kill_at, tick=_tick(queue, campaign))
        worker.kill()  # SIGKILL in the middle of a batch
        assert arrived, log.read_text()[-3000:]
    worker = Worker(queue=queue, smtp_port=smtp_server.port, log=log)
    try:
        _send(queue, campaign)
        assert wait_until(_done(campaign), timeout=600, every=_tick(queue, campaign)), (
            log.read_text()[-3000:]
        )
    finally:
        worker.stop()

    received = _received(smtp_server)
    in_doubt = set(
        Message.objects.filter(campaign=campaign, state="in_doubt").values_list(
            "member_id", flat=True
        )
    )
    assert max(received.values()) == 1, "nobody received two"
    assert len(in_doubt) <= 2, "at most one message in doubt per kill"
    assert eligible - set(received) <= in_doubt, "every eligible member got one, or is listed"
    assert set(received) <= eligible
    _assert_reasons(campaign, kinds)


@pytest.mark.django_db(transaction=True)
def test_the_send_task_delivered_twice_at_once_sends_one_email_each(
    smtp_server,  # noqa: F811
    not_eager,
    marketer,
    tmp_path,
):
    kinds = club_build(members=2000)
    campaign = campaign_ready(holdout="0")
    eligible = _start(campaign, marketer, kinds)
    queue = f"test-campaigns-{uuid.uuid4().hex[:10]}"
    workers = [
        Worker(queue=queue, smtp_port=smtp_server.port, log=tmp_path / f"worker{i}.log")
        for i in range(2)
    ]
    try:
        task_id = str(uuid.uuid4())
        _send(queue, campaign, task_id=task_id)
        _send(queue, campaign, task_id=task_id)  # the same task, delivered again
        assert wait_until(_done(campaign), timeout=600, every=_tick(queue, campaign))
    finally:
        for worker in workers:
            worker.stop()

    received = _received(smtp_server)
    assert set(received) == eligible
    assert max(received.values()) == 1
    assert all(task_id in w.log.read_text() for w in workers), "both workers ran the task"
