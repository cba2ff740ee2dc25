"""Behaviour only the real thing shows: SMTP delivery, a Celery worker pulling from Redis, and the
SMS backends."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import threading
import time
import uuid
from email import message_from_bytes
from email.header import decode_header, make_header
from email.message import Message
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from django.core.mail import EmailMessage, EmailMultiAlternatives
from django.db import connection, transaction

from campaigns import sms
from config.celery_app import app as celery_app
from core import email as outbox
from core.email import email_send_later, email_to_payload
from core.models import OutgoingEmail
from core.tasks import email_send_task

BASE_DIR = Path(__file__).resolve().parents[2]
CELERY = Path(sys.executable).parent / "celery"


class _Inbox:
    """An aiosmtpd handler that keeps what it receives."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], Message]] = []
        self._arrived = threading.Condition()

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd calls it by this name
        with self._arrived:
            self.messages.append((list(envelope.rcpt_tos), message_from_bytes(envelope.content)))
            self._arrived.notify_all()
        return "250 Message accepted for delivery"

    def wait_for(self, count: int, timeout: float) -> bool:
        with self._arrived:
            return self._arrived.wait_for(lambda: len(self.messages) >= count, timeout=timeout)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp_server():
    """A real SMTP server on loopback, for the length of one test."""
    inbox = _Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    inbox.port = controller.port
    try:
        yield inbox
    finally:
        controller.stop()


def _payload(to: str, subject: str, body: str) -> dict:
    message = EmailMultiAlternatives(
        subject=subject, body=body, from_email="Lojal <club@example.se>", to=[to]
    )
    message.attach_alternative(f"<p>{body}</p>", "text/html")
    return email_to_payload(message)


def _text_of(message: Message) -> str:
    for part in message.walk():
        if part.get_content_type() == "text/plain":
            return part.get_payload(decode=True).decode(part.get_content_charset() or "utf-8")
    raise AssertionError("no text/plain part")


# --- (a) SMTP, no broker -----------------------------------------------------------------------


def test_the_email_task_delivers_over_smtp(settings, smtp_server):
    # given Django's SMTP backend pointed at a real SMTP server on loopback
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = smtp_server.port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 5
    payload = _payload("kim@example.se", "Välkommen till klubben", "Hej Kim, välkommen!")

    # when the e-mail task runs (eagerly, as in the tests)
    sent = email_send_task.delay(payload).get()

    # then the server received the message as sent
    assert sent == 1
    assert smtp_server.wait_for(1, timeout=10)
    recipients, message = smtp_server.messages[0]
    assert recipients == ["kim@example.se"]
    assert str(message["To"]) == "kim@example.se"
    assert "club@example.se" in str(message["From"])
    assert str(make_header(decode_header(message["Subject"]))) == "Välkommen till klubben"
    assert _text_of(message).strip() == "Hej Kim, välkommen!"
    assert message.is_multipart()


def test_the_email_task_refuses_a_payload_without_recipients():
    with pytest.raises(ValueError, match="at least one recipient"):
        email_send_task.delay({"subject": "x", "body": "y", "to": []})


# --- (b) A real worker on Redis ----------------------------------------------------------------


@contextlib.contextmanager
def _worker(smtp_server, tmp_path, database_url: str, queue: str | None = None):
    """A real `celery worker` process consuming a queue of its own on REDIS_URL, sending its
    e-mail to the loopback SMTP server. Yields (queue, log path); always terminated."""
    queue = queue or f"test-email-{uuid.uuid4().hex[:12]}"
    log = tmp_path / "worker.log"
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", str(tmp_path)),
        "DJANGO_SETTINGS_MODULE": "config.settings.local",
        "REDIS_URL": os.environ["REDIS_URL"],
        "DATABASE_URL": database_url,
        "EMAIL_URL": f"smtp://127.0.0.1:{smtp_server.port}",
        "EMAIL_TIMEOUT": "5",
    }
    with log.open("w") as log_file:
        worker = subprocess.Popen(
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
                f"{queue}@%h",
                "--without-heartbeat",
                "--without-gossip",
                "--without-mingle",
                "--loglevel",
                "INFO",
            ],
            cwd=BASE_DIR,
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
    try:
        # Wait for the worker to say it is ready (it logs "celery@... ready."); the deadline only
        # stops a broken worker from hanging the suite, a busy machine is far inside it.
        deadline = time.monotonic() + 300
        while " ready." not in log.read_text():
            if worker.poll() is not None:
                pytest.fail(f"the worker exited early:\n{log.read_text()}")
            if time.monotonic() > deadline:
                pytest.fail(f"the worker did not start within 300 s:\n{log.read_text()}")
            time.sleep(0.1)
        yield queue, log
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait(timeout=10)


@pytest.fixture
def celery_worker_on_redis(smtp_server, tmp_path):
    database_url = os.environ.get("DATABASE_URL", f"sqlite:///{tmp_path / 'worker.db'}")
    with _worker(smtp_server, tmp_path, database_url) as started:
        yield started


@pytest.fixture
def outbox_worker_on_redis(smtp_server, tmp_path, transactional_db):
    """The outbox's send task (the web side's request to send included) routed to a queue of its
    own; yields (queue, start), where `start()` runs a real worker on that queue and the tests'
    own PostgreSQL database as a context manager yielding (queue, log path). A test can commit
    first and start the worker afterwards, so what the worker finds does not depend on speed."""
    db = connection.settings_dict
    database_url = f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    queue = f"test-email-{uuid.uuid4().hex[:12]}"
    saved = celery_app.conf.task_routes
    celery_app.conf.task_routes = {"core.tasks.outgoing_emails_send_task": {"queue": queue}}
    celery_app.amqp.flush_routes()
    celery_app.amqp.__dict__.pop("router", None)  # the router caches the routes it was made with
    try:
        yield queue, lambda: _worker(smtp_server, tmp_path, database_url, queue=queue)
    finally:
        celery_app.conf.task_routes = saved
        celery_app.amqp.flush_routes()
        celery_app.amqp.__dict__.pop(
            "router", None
        )  # the router caches the routes it was made with


@pytest.fixture
def celery_not_eager():
    """Send tasks to the broker for real in this test; restore eager mode afterwards."""
    saved = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = False
    yield
    celery_app.conf.task_always_eager = saved


@pytest.mark.redis
def test_a_real_worker_takes_the_email_task_from_redis_and_delivers_it(
    smtp_server, celery_worker_on_redis, celery_not_eager
):
    # given a worker on its own Redis queue, and the broker of the test settings on Redis
    queue, log = celery_worker_on_redis
    assert celery_app.conf.broker_url == os.environ["REDIS_URL"]
    payload = _payload("medlem@example.se", "Event reminder", f"See you tomorrow {queue}")

    # when the task is queued on Redis
    result = email_send_task.apply_async(args=[payload], queue=queue)

    # then the worker process picks it up and the mail arrives at the SMTP server
    arrived = smtp_server.wait_for(1, timeout=300)
    assert arrived, f"no mail within 300 s; worker log:\n{log.read_text()}"
    recipients, message = smtp_server.messages[0]
    assert recipients == ["medlem@example.se"]
    assert str(message["Subject"]) == "Event reminder"
    assert _text_of(message).strip() == f"See you tomorrow {queue}"
    assert result.id in log.read_text()


@pytest.mark.postgres
@pytest.mark.redis
def test_a_committed_email_leaves_the_outbox_through_a_real_worker(
    smtp_server, outbox_worker_on_redis, celery_not_eager, settings, monkeypatch
):
    # given the tests' database, a queue of its own on Redis, and the web side's usual delay,
    # with the web side's clock still (a burst is one instant, however slow the machine)
    _queue, start_worker = outbox_worker_on_redis
    settings.EMAIL_OUTBOX_DELAY = 1.0
    monkeypatch.setattr(outbox, "_kick_next", 0.0)

    # when two e-mails are committed in a burst (the second commit does not ask again), and a
    # real worker then starts on that queue
    with monkeypatch.context() as still:
        still.setattr(outbox.time, "monotonic", lambda: 1000.0)
        for name in ("Kim", "Alex"):
            with transaction.atomic():
                email_send_later(
                    EmailMessage(
                        subject="Din belöning", body=f"Hej {name}!", to=[f"{name}@example.se"]
                    )
                )
    with start_worker() as (_queue, log):
        # then the one run the worker was asked for delivers both to the SMTP server
        arrived = smtp_server.wait_for(2, timeout=300)
        assert arrived, f"no mail within 300 s; worker log:\n{log.read_text()}"
        assert sorted(recipients[0] for recipients, _message in smtp_server.messages) == [
            "Alex@example.se",
            "Kim@example.se",
        ]
        # and marks them sent (the mark follows the SMTP answer: wait for the event, bounded)
        deadline = time.monotonic() + 300
        while OutgoingEmail.objects.exclude(status=OutgoingEmail.Status.SENT).exists():
            assert time.monotonic() < deadline, "the outbox was not marked sent"
            time.sleep(0.05)
        received = log.read_text()
    # by one run of the send task
    received = [line for line in received.splitlines() if line.endswith("] received")]
    assert len(received) == 1 and "outgoing_emails_send_task" in received[0]


# --- (c) SMS backends --------------------------------------------------------------------------


def test_the_file_sms_backend_writes_one_json_file_per_message(tmp_path, settings):
    # given the file backend writing to a folder of its own
    settings.SMS_SENDER = "Lojal"
    backend = sms.FileSmsBackend(path=tmp_path / "sms")
    messages = [
        sms.SmsMessage(to="+46701234567", body="Hej! Dina poäng går ut snart."),
        sms.SmsMessage(to="+46709876543", body="Välkommen", sender="Butiken"),
    ]

    # when they are sent
    sent = backend.send_messages(messages)

    # then each is a JSON file with number, body, sender and reference
    assert sent == 2
    files = sorted((tmp_path / "sms").glob("*.json"))
    assert len(files) == 2
    written = {json.loads(f.read_text(encoding="utf-8"))["to"]: f for f in files}
    first = json.loads(written["+46701234567"].read_text(encoding="utf-8"))
    assert first == {
        "to": "+46701234567",
        "body": "Hej! Dina poäng går ut snart.",
        "sender": "Lojal",
        "reference": messages[0].reference,
    }
    assert written["+46701234567"].name.endswith(f"{messages[0].reference}.json")
    assert json.loads(written["+46709876543"].read_text(encoding="utf-8"))["sender"] == "Butiken"


def test_the_locmem_backend_collects_what_send_sms_sends(settings):
    # given the test settings' in-memory backend, empty
    assert settings.SMS_BACKEND == "campaigns.sms.LocMemSmsBackend"
    sms.outbox.clear()

    # when an SMS is sent through the module's entry point
    sent = sms.send_sms(to="+46701234567", body="Din kod är 1234")

    # then it is in the outbox, with the default sender
    assert sent == 1
    assert [(m.to, m.body, m.sender) for m in sms.outbox] == [
        ("+46701234567", "Din kod är 1234", settings.SMS_SENDER)
    ]
    sms.outbox.clear()


def test_the_console_backend_prints(capsys):
    sms.ConsoleSmsBackend().send_messages([sms.SmsMessage(to="+4670111", body="Hej", sender="X")])
    assert capsys.readouterr().out == "SMS from X to +4670111: Hej\n"


@pytest.mark.parametrize("number", ["0701234567", "+46 70 123 45 67", "+", "", "+46abc"])
def test_an_invalid_number_is_refused_with_a_clear_message(number):
    # when an SMS is made for a number not in E.164 form
    # then it is refused, naming the form and the number
    with pytest.raises(ValueError, match=r"E\.164") as error:
        sms.SmsMessage(to=number, body="Hej")
    assert repr(number) in str(error.value)


def test_an_empty_body_is_refused():
    with pytest.raises(ValueError, match="needs a body"):
        sms.SmsMessage(to="+46701234567", body="")


def test_nothing_is_sent_when_the_number_is_invalid(settings):
    # given the in-memory backend, empty
    sms.outbox.clear()

    # when send_sms is called with a bad number
    with pytest.raises(ValueError):
        sms.send_sms(to="070-123 45 67", body="Hej")

    # then nothing was sent
    assert sms.outbox == []
