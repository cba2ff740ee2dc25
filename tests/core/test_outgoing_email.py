"""The e-mail outbox (core.email): written with the transaction that caused it, sent by the
worker once, retried when the SMTP server is away, and kept for staff in the admin."""

from __future__ import annotations

import socket
import threading
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.core import mail
from django.core.mail import EmailMessage
from django.db import connection, transaction
from django.utils import timezone

from config.celery_app import app as celery_app
from core import email as outbox
from core.models import AuditLogEntry, OutgoingEmail
from core.tasks import outgoing_emails_purge_task, outgoing_emails_send_task
from members.roles import CLUB_ADMIN, MARKETER
from tests.members.factories import StaffFactory

CHANGELIST = "/admin/core/outgoingemail/"


def _message(to: str = "kim@example.se", subject: str = "Välkommen", body: str = "Hej!"):
    return EmailMessage(subject=subject, body=body, to=[to])


def _queue(count: int = 1) -> None:
    """Put `count` e-mails in the outbox without asking the worker to send them."""
    for number in range(count):
        outbox._outbox_insert(outbox.email_to_payload(_message(to=f"m{number}@example.se")))


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp_unreachable(settings):
    """Django's SMTP backend pointed at a loopback port where nothing listens."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = _closed_port()
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 2


# --- Queueing ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_an_email_waits_in_the_outbox_until_its_transaction_commits(
    django_capture_on_commit_callbacks,
):
    # given an e-mail queued inside a transaction that has not committed yet
    with django_capture_on_commit_callbacks() as callbacks:
        outbox.email_send_later(_message(subject="Din belöning", body="Koden: ABC"))
        queued = OutgoingEmail.objects.get()

        # then it is in the outbox, waiting, and nothing has been sent
        assert queued.status == OutgoingEmail.Status.PENDING
        assert queued.recipients == "kim@example.se"
        assert queued.subject == "Din belöning"
        assert queued.payload["body"] == "Koden: ABC"
        assert mail.outbox == []

    # when the transaction commits (the worker is asked to send; eager in the tests)
    for callback in callbacks:
        callback()

    # then it is sent once, and kept as sent
    assert [(m.to, m.subject, m.body) for m in mail.outbox] == [
        (["kim@example.se"], "Din belöning", "Koden: ABC")
    ]
    queued.refresh_from_db()
    assert queued.status == OutgoingEmail.Status.SENT
    assert queued.sent_at is not None
    assert queued.attempts == 1


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_transaction_leaves_no_email():
    # given an e-mail queued in a transaction that then fails
    with pytest.raises(RuntimeError), transaction.atomic():
        outbox.email_send_later(_message())
        raise RuntimeError("the redemption failed")

    # then there is nothing in the outbox and nothing was sent
    assert not OutgoingEmail.objects.exists()
    assert mail.outbox == []


@pytest.mark.django_db
def test_an_email_without_recipients_is_refused_and_nothing_is_written():
    with pytest.raises(ValueError, match="at least one recipient"):
        outbox.email_send_later(EmailMessage(subject="x", body="y", to=[]))
    assert not OutgoingEmail.objects.exists()


@pytest.mark.django_db
def test_long_subjects_and_recipient_lists_fit_their_columns():
    # given an e-mail with a very long subject and many recipients
    many = [f"member{n}@example.se" for n in range(80)]
    outbox._outbox_insert(
        outbox.email_to_payload(EmailMessage(subject="Å" * 400, body="b", to=many))
    )

    # then the columns shown in the admin are cut, and the message itself is whole
    queued = OutgoingEmail.objects.get()
    assert len(queued.subject) == 255 and len(queued.recipients) == 1000
    assert queued.payload["to"] == many and queued.payload["subject"] == "Å" * 400


# --- Asking the worker to send: one run per burst ------------------------------------------------


@pytest.fixture
def not_eager(settings, monkeypatch):
    """Kicks as in production (not eager), recorded instead of published (the real worker tests
    in test_real_services publish them)."""
    saved = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = False
    settings.EMAIL_OUTBOX_DELAY = 1.0
    monkeypatch.setattr(outbox, "_kick_next", 0.0)
    clock = [1000.0]
    monkeypatch.setattr(outbox.time, "monotonic", lambda: clock[0])
    published: list[dict] = []
    monkeypatch.setattr(outbox, "_ask_worker", lambda **options: published.append(options))
    yield clock, published
    celery_app.conf.task_always_eager = saved


def test_a_burst_of_commits_asks_the_worker_once_and_ahead_of_time(not_eager):
    clock, published = not_eager

    # when many e-mails are committed within the delay
    for _ in range(50):
        outbox.outgoing_emails_kick()
        clock[0] += 0.01

    # then the worker was asked once, to start after the delay (after every one of them)
    assert published == [{"countdown": 1.0}]

    # and once the delay has passed, the next commit asks again
    clock[0] += 1.0
    outbox.outgoing_emails_kick()
    assert published == [{"countdown": 1.0}, {"countdown": 1.0}]


def test_a_broker_that_is_down_loses_no_email_and_the_next_commit_asks_again(
    not_eager, monkeypatch, caplog
):
    _clock, published = not_eager

    def broker_down(**options):
        raise ConnectionRefusedError("Redis is down")

    # given a broker that refuses the message
    monkeypatch.setattr(outbox, "_ask_worker", broker_down)

    # when a commit asks the worker to send, nothing is raised to the caller
    outbox.outgoing_emails_kick()
    assert "periodic run will" in caplog.text

    # and when the broker is back, the very next commit asks again (no delay is waited out)
    monkeypatch.setattr(outbox, "_ask_worker", lambda **options: published.append(options))
    outbox.outgoing_emails_kick()
    assert published == [{"countdown": 1.0}]


def test_a_delay_of_zero_asks_for_every_email_at_once(not_eager, settings):
    _clock, published = not_eager
    settings.EMAIL_OUTBOX_DELAY = 0
    outbox.outgoing_emails_kick()
    outbox.outgoing_emails_kick()
    assert published == [{"countdown": None}, {"countdown": None}]


# --- Sending ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_worker_sends_each_due_email_once():
    # given three e-mails waiting
    _queue(3)

    # when the send task runs twice
    first = outgoing_emails_send_task.delay().get()
    second = outgoing_emails_send_task.delay().get()

    # then each went out once
    assert first == {"sent": 3, "retrying": 0, "failed": 0, "abandoned": 0}
    assert second == {"sent": 0, "retrying": 0, "failed": 0, "abandoned": 0}
    assert sorted(m.to[0] for m in mail.outbox) == [f"m{n}@example.se" for n in range(3)]
    assert set(OutgoingEmail.objects.values_list("status", flat=True)) == {"sent"}


@pytest.mark.django_db
def test_batches_are_sent_until_the_outbox_is_empty():
    _queue(7)
    result = outbox.outgoing_emails_send(batch=3)
    assert result.sent == 7 and len(mail.outbox) == 7


@pytest.mark.django_db
def test_an_unreachable_smtp_server_is_retried_with_growing_pauses_then_given_up(
    smtp_unreachable,
):
    # given an e-mail waiting and no SMTP server listening
    _queue(1)
    start = timezone.now()

    # when the worker tries
    result = outbox.outgoing_emails_send(now=start)

    # then the e-mail waits for a retry in 30 s, with the error kept
    email = OutgoingEmail.objects.get()
    assert result == outbox.SendResult(retrying=1)
    assert email.status == OutgoingEmail.Status.PENDING
    assert email.attempts == 1
    assert email.next_attempt_at == start + timedelta(seconds=30)
    assert "refused" in email.last_error.lower() or "errno" in email.last_error.lower()

    # and a run before then does not try again
    assert outbox.outgoing_emails_send(now=start + timedelta(seconds=29)) == outbox.SendResult()

    # when it keeps failing, the pauses double (30 s, 1, 2, 4, 8 min) until the sixth attempt
    pauses = []
    now = start
    for _attempt in range(5):
        email.refresh_from_db()
        pauses.append(email.next_attempt_at - now)
        now = email.next_attempt_at
        outbox.outgoing_emails_send(now=now)
    email.refresh_from_db()
    assert pauses == [timedelta(seconds=30 * 2**n) for n in range(5)]

    # then it is marked failed for staff, and never sent
    assert email.status == OutgoingEmail.Status.FAILED
    assert email.attempts == outbox.MAX_ATTEMPTS
    assert mail.outbox == []


@pytest.mark.django_db
def test_a_broken_message_fails_alone_and_the_others_are_sent():
    # given a row whose message has no recipients (written around the service), and a good one
    now = timezone.now()
    broken = OutgoingEmail.objects.create(
        recipients="", subject="x", payload={"subject": "x"}, next_attempt_at=now, created_at=now
    )
    _queue(1)

    # when the worker sends
    result = outbox.outgoing_emails_send()

    # then the broken one is failed with the reason, and the good one went out
    broken.refresh_from_db()
    assert result == outbox.SendResult(sent=1, failed=1)
    assert broken.status == OutgoingEmail.Status.FAILED
    assert "at least one recipient" in broken.last_error
    assert [m.to for m in mail.outbox] == [["m0@example.se"]]


@pytest.mark.django_db
def test_an_email_whose_worker_died_while_sending_is_failed_not_sent_twice():
    # given an e-mail claimed by a worker that died (its lease is over)
    now = timezone.now()
    OutgoingEmail.objects.create(
        status=OutgoingEmail.Status.SENDING,
        recipients="kim@example.se",
        subject="x",
        payload=outbox.email_to_payload(_message()),
        attempts=1,
        next_attempt_at=now - timedelta(seconds=1),
        created_at=now - outbox.LEASE,
    )

    # when the next run comes
    result = outbox.outgoing_emails_send(now=now)

    # then it is failed (it may have left), not sent again
    assert result == outbox.SendResult(abandoned=1)
    assert OutgoingEmail.objects.get().status == OutgoingEmail.Status.FAILED
    assert mail.outbox == []


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_workers_at_the_same_moment_send_each_email_once():
    # given 60 e-mails waiting
    _queue(60)
    barrier = threading.Barrier(3)
    results: list[outbox.SendResult] = []

    def worker() -> None:
        try:
            barrier.wait()
            results.append(outbox.outgoing_emails_send(batch=5))
        finally:
            connection.close()

    # when three workers send at the same moment
    threads = [threading.Thread(target=worker) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    # then every e-mail went out exactly once (SKIP LOCKED shares the outbox between them)
    recipients = [m.to[0] for m in mail.outbox]
    assert sorted(recipients) == sorted(f"m{n}@example.se" for n in range(60))
    assert sum(result.sent for result in results) == 60
    assert OutgoingEmail.objects.filter(status=OutgoingEmail.Status.SENT).count() == 60


@pytest.mark.django_db
def test_the_purge_deletes_old_sent_email_and_keeps_failed_and_recent():
    now = timezone.now()
    old = now - timedelta(days=31)

    def row(status, sent_at=None):
        return OutgoingEmail.objects.create(
            status=status,
            recipients="a@example.se",
            subject=status,
            payload={},
            next_attempt_at=old,
            created_at=old,
            sent_at=sent_at,
        )

    row(OutgoingEmail.Status.SENT, sent_at=old)
    recent = row(OutgoingEmail.Status.SENT, sent_at=now - timedelta(days=1))
    failed = row(OutgoingEmail.Status.FAILED)

    assert outgoing_emails_purge_task.delay().get() == 1
    assert set(OutgoingEmail.objects.values_list("pk", flat=True)) == {recent.pk, failed.pk}


# --- The admin -----------------------------------------------------------------------------------


def _staff_client(client, settings, role: str):
    settings.STAFF_MFA_REQUIRED = False
    staff = StaffFactory()
    staff.groups.add(Group.objects.get(name=role))
    client.force_login(staff)
    return client


def _failed(subject: str = "Din belöning") -> OutgoingEmail:
    now = timezone.now()
    return OutgoingEmail.objects.create(
        status=OutgoingEmail.Status.FAILED,
        recipients="kim@example.se",
        subject=subject,
        payload=outbox.email_to_payload(_message(subject=subject, body="Koden: XYZ")),
        attempts=outbox.MAX_ATTEMPTS,
        next_attempt_at=now,
        last_error="Connection refused",
        created_at=now,
    )


@pytest.mark.django_db
def test_a_club_admin_sends_failed_email_again_and_it_is_audited(
    client, settings, django_capture_on_commit_callbacks
):
    # given a failed e-mail and one already sent
    staff_client = _staff_client(client, settings, CLUB_ADMIN)
    failed = _failed()
    sent = _failed(subject="Redan skickat")
    OutgoingEmail.objects.filter(pk=sent.pk).update(status=OutgoingEmail.Status.SENT)

    # when a club admin sends both again from the list
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(
            CHANGELIST,
            {"action": "resend_selected", "_selected_action": [failed.pk, sent.pk]},
            follow=True,
        )

    # then the failed one went out (the sent one not again), and the admin says so
    assert response.status_code == 200
    assert "1 e-mail will be sent again." in response.text
    assert [(m.subject, m.body) for m in mail.outbox] == [("Din belöning", "Koden: XYZ")]
    failed.refresh_from_db()
    assert failed.status == OutgoingEmail.Status.SENT and failed.attempts == 1
    assert AuditLogEntry.objects.get(action="email.resend").details == {"count": 1}


@pytest.mark.django_db
def test_resending_nothing_failed_says_so(client, settings):
    staff_client = _staff_client(client, settings, CLUB_ADMIN)
    sent = _failed()
    OutgoingEmail.objects.filter(pk=sent.pk).update(status=OutgoingEmail.Status.SENT)
    response = staff_client.post(
        CHANGELIST, {"action": "resend_selected", "_selected_action": [sent.pk]}, follow=True
    )
    assert "Only failed e-mail can be sent again" in response.text
    assert not AuditLogEntry.objects.filter(action="email.resend").exists()


@pytest.mark.django_db
def test_the_outbox_is_read_only_and_shows_the_text(client, settings):
    staff_client = _staff_client(client, settings, CLUB_ADMIN)
    email = _failed()
    detail = staff_client.get(f"{CHANGELIST}{email.pk}/change/")
    assert detail.status_code == 200 and "Koden: XYZ" in detail.text
    assert "Connection refused" in detail.text
    assert staff_client.get(f"{CHANGELIST}add/").status_code == 403
    staff_client.post(f"{CHANGELIST}{email.pk}/change/", {"subject": "changed"})
    assert OutgoingEmail.objects.get(pk=email.pk).subject == "Din belöning"
    assert staff_client.post(f"{CHANGELIST}{email.pk}/delete/", {"post": "yes"}).status_code == 403
    assert OutgoingEmail.objects.filter(pk=email.pk).exists()


@pytest.mark.django_db
def test_the_list_is_searchable_filterable_and_its_queries_do_not_grow(
    client, settings, django_assert_max_num_queries
):
    staff_client = _staff_client(client, settings, CLUB_ADMIN)
    for number in range(3):
        _failed(subject=f"Kvitto {number}")
    with django_assert_max_num_queries(20) as few:
        assert staff_client.get(CHANGELIST).status_code == 200
    for number in range(30):
        _failed(subject=f"Fler {number}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = staff_client.get(CHANGELIST)
    assert "Fler 29" in page.text
    found = staff_client.get(CHANGELIST, {"q": "Kvitto 1"})
    assert "Kvitto 1" in found.text and "Fler 2" not in found.text
    assert staff_client.get(CHANGELIST, {"status__exact": "failed"}).status_code == 200


@pytest.mark.django_db
def test_a_marketer_does_not_see_the_outbox(client, settings):
    staff_client = _staff_client(client, settings, MARKETER)
    assert staff_client.get(CHANGELIST).status_code == 403


def test_the_web_side_asks_for_the_registered_send_task():
    # core.email names the task (it may not import core.tasks); the name must stay the task's
    assert outgoing_emails_send_task.name == outbox.SEND_TASK
    assert outbox.SEND_TASK in celery_app.tasks
