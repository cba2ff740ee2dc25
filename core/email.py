"""E-mail leaves through an outbox: `email_send_later` writes the message as a row in the
transaction that caused it, and the worker sends what is due.

- A message is sent only if its transaction commits, and a broker that is down loses nothing:
  the row waits, and the periodic run (every minute) sends it.
- After a commit the web process asks the worker to send (`outgoing_emails_send_task`), but at
  most once per EMAIL_OUTBOX_DELAY seconds and that long ahead: every message committed in the
  meantime is sent by that one run, over one SMTP connection. A burst of 300 redemptions a
  second costs the broker a few messages, not 300.
- Sending is at most once, as before the outbox: a message whose worker died while sending is
  marked failed, not sent again (it may have left); staff can send it again from the admin.
  A refused or unreachable SMTP server is retried with growing pauses, then marked failed.
"""

from __future__ import annotations

import logging
import smtplib
import threading
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import parseaddr

from celery import current_app
from django.conf import settings
from django.core.mail import EmailMessage, EmailMultiAlternatives, get_connection
from django.db import connection, transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from .models import OutgoingEmail

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 6
FIRST_RETRY = timedelta(seconds=30)
LONGEST_RETRY = timedelta(minutes=30)
# How long a worker may hold a batch it is sending before the batch counts as abandoned.
LEASE = timedelta(minutes=15)
BATCH = 100
SEND_TASK = "core.tasks.outgoing_emails_send_task"
ABANDONED = "The worker stopped while sending; not sent again in case it had left."


def email_to_payload(message: EmailMessage) -> dict:
    alternatives = getattr(message, "alternatives", [])
    return {
        "subject": str(message.subject),
        "body": str(message.body),
        "from_email": message.from_email,
        "to": list(message.to),
        "cc": list(message.cc),
        "bcc": list(message.bcc),
        "reply_to": list(message.reply_to),
        "headers": dict(message.extra_headers),
        "html": next((str(c) for c, mime in alternatives if mime == "text/html"), None),
        # Text attachments only (an .ics invitation): (filename, content, mimetype).
        "attachments": [
            [name, content, mimetype]
            for name, content, mimetype in message.attachments
            if isinstance(content, str)
        ],
    }


def email_from_payload(payload: dict) -> EmailMultiAlternatives:
    if not isinstance(payload, dict) or not payload.get("to"):
        raise ValueError("An e-mail needs a payload with at least one recipient in 'to'.")
    message = EmailMultiAlternatives(
        subject=payload["subject"],
        body=payload["body"],
        from_email=payload.get("from_email"),
        to=payload["to"],
        cc=payload.get("cc") or [],
        bcc=payload.get("bcc") or [],
        reply_to=payload.get("reply_to") or [],
        headers=payload.get("headers") or {},
    )
    if payload.get("html"):
        message.attach_alternative(payload["html"], "text/html")
    for name, content, mimetype in payload.get("attachments") or []:
        message.attach(name, content, mimetype)
    return message


# --- Queueing ------------------------------------------------------------------------------------


def email_send_later(message: EmailMessage) -> None:
    """Put `message` in the outbox, in the current transaction; the worker sends it after the
    transaction commits (nothing is sent if it rolls back)."""
    payload = email_to_payload(message)
    if not payload["to"]:
        raise ValueError("An e-mail needs at least one recipient.")
    _outbox_insert(payload)
    transaction.on_commit(outgoing_emails_kick)


_FIELDS = {field.name: field for field in OutgoingEmail._meta.concrete_fields}


def _outbox_insert(payload: dict) -> None:
    # One plain INSERT: this runs inside hot transactions (a redemption through the API), where an
    # ORM save costs more than everything else the outbox does.
    quote = connection.ops.quote_name
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {quote(OutgoingEmail._meta.db_table)} "  # noqa: S608 - names from _meta, values bound
            "(status, recipients, subject, payload, attempts, next_attempt_at, last_error, "
            "created_at) VALUES (%s, %s, %s, %s, 0, %s, '', %s)",
            [
                OutgoingEmail.Status.PENDING,
                ", ".join(payload["to"])[: _FIELDS["recipients"].max_length],
                payload["subject"][: _FIELDS["subject"].max_length],
                _FIELDS["payload"].get_db_prep_value(payload, connection),
                now,
                now,
            ],
        )


_kick_lock = threading.Lock()
_kick_next = 0.0  # time.monotonic() before which this process has a send run on its way


def outgoing_emails_kick() -> None:
    """Ask the worker to send what is due, at most once per EMAIL_OUTBOX_DELAY seconds per
    process. The run is scheduled that long ahead, so it starts after every message committed
    while later kicks were skipped. If the broker is down, the periodic run sends the mail."""
    global _kick_next
    if current_app.conf.task_always_eager:
        outgoing_emails_send()  # what the task would do, here and now (tests, eager settings)
        return
    delay = max(float(settings.EMAIL_OUTBOX_DELAY), 0.0)
    if delay:
        now = time.monotonic()
        with _kick_lock:
            if now < _kick_next:
                return
            _kick_next = now + delay
    try:
        _ask_worker(countdown=delay or None)
    except Exception:
        # The outbox keeps the message; the periodic run sends it. Not the caller's problem:
        # its transaction has committed.
        logger.warning(
            "Could not ask the worker to send e-mail; the periodic run will.", exc_info=True
        )
        with _kick_lock:
            _kick_next = 0.0


def _ask_worker(*, countdown: float | None) -> None:
    # By name: core.tasks imports this module, not the other way round.
    current_app.send_task(SEND_TASK, countdown=countdown)


# --- Sending (the worker) ------------------------------------------------------------------------


SENT, RETRYING, FAILED = "sent", "retrying", "failed"


@dataclass(frozen=True)
class SendResult:
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    abandoned: int = 0


def _retry_after(attempts: int) -> timedelta:
    return min(FIRST_RETRY * 2 ** max(attempts - 1, 0), LONGEST_RETRY)


def outgoing_emails_send(*, batch: int = BATCH, now: datetime | None = None) -> SendResult:
    """Send every e-mail that is due, a batch at a time over one SMTP connection per batch.

    Batches are claimed with SKIP LOCKED, so workers running this at the same time share the
    outbox and never send a message twice."""
    now = now or timezone.now()
    abandoned = OutgoingEmail.objects.filter(
        status=OutgoingEmail.Status.SENDING, next_attempt_at__lt=now
    ).update(status=OutgoingEmail.Status.FAILED, last_error=ABANDONED)
    outcomes: Counter[str] = Counter()
    # `now` stays the run's start: what is committed later is due for the next run, and a message
    # given back for a retry is not due again in this one.
    while claimed := _claim(batch=batch, now=now):
        outcomes.update(_send_batch(claimed, now=now))
    return SendResult(
        sent=outcomes[SENT],
        retrying=outcomes[RETRYING],
        failed=outcomes[FAILED],
        abandoned=abandoned,
    )


def _claim(*, batch: int, now: datetime) -> list[OutgoingEmail]:
    with transaction.atomic():
        rows = list(
            OutgoingEmail.objects.select_for_update(skip_locked=True)
            .filter(status=OutgoingEmail.Status.PENDING, next_attempt_at__lte=now)
            .order_by("next_attempt_at", "id")[:batch]
        )
        if rows:
            OutgoingEmail.objects.filter(pk__in=[row.pk for row in rows]).update(
                status=OutgoingEmail.Status.SENDING,
                attempts=F("attempts") + 1,
                next_attempt_at=now + LEASE,
            )
    for row in rows:
        row.attempts += 1
    return rows


def _send_batch(rows: list[OutgoingEmail], *, now: datetime) -> list[str]:
    """Send `rows` over one connection; the outcome of each (SENT, RETRYING or FAILED)."""
    mailer = get_connection(fail_silently=False)
    try:
        mailer.open()
    except (smtplib.SMTPException, OSError) as error:
        return [_give_back(row, error, now) for row in rows]
    outcomes = []
    try:
        for row in rows:
            try:
                message = email_from_payload(row.payload)
            except (ValueError, KeyError, TypeError) as error:
                _mark(row, OutgoingEmail.Status.FAILED, error=f"Not a valid e-mail: {error}")
                outcomes.append(FAILED)
                continue
            try:
                mailer.send_messages([message])
            except (smtplib.SMTPException, OSError) as error:
                outcomes.append(_give_back(row, error, now))
                continue
            _mark(row, OutgoingEmail.Status.SENT, sent_at=timezone.now())
            outcomes.append(SENT)
    finally:
        try:
            mailer.close()
        except (smtplib.SMTPException, OSError):
            logger.warning("Closing the SMTP connection failed.", exc_info=True)
    return outcomes


def _give_back(row: OutgoingEmail, error: Exception, now: datetime) -> str:
    """After a failed attempt: wait and try again (RETRYING), or give up after MAX_ATTEMPTS
    (FAILED)."""
    logger.warning("Sending e-mail %s failed (attempt %d): %s", row.pk, row.attempts, error)
    if row.attempts >= MAX_ATTEMPTS:
        _mark(row, OutgoingEmail.Status.FAILED, error=str(error))
        return FAILED
    _mark(
        row,
        OutgoingEmail.Status.PENDING,
        error=str(error),
        next_attempt_at=now + _retry_after(row.attempts),
    )
    return RETRYING


def _mark(row: OutgoingEmail, status: str, *, error: str = "", **fields) -> None:
    OutgoingEmail.objects.filter(pk=row.pk).update(status=status, last_error=error[:2000], **fields)


def outgoing_emails_resend(*, emails) -> int:
    """Staff: send failed e-mails again (from the first attempt). Returns how many."""
    with transaction.atomic():
        count = emails.filter(status=OutgoingEmail.Status.FAILED).update(
            status=OutgoingEmail.Status.PENDING,
            attempts=0,
            next_attempt_at=timezone.now(),
            last_error="",
        )
        if count:
            transaction.on_commit(outgoing_emails_kick)
    return count


def outgoing_emails_purge(*, older_than_days: int) -> int:
    """Delete e-mails sent more than `older_than_days` days ago; failed ones stay for staff."""
    cutoff = timezone.now() - timedelta(days=older_than_days)
    deleted, _details = OutgoingEmail.objects.filter(
        status=OutgoingEmail.Status.SENT, sent_at__lt=cutoff
    ).delete()
    return deleted


# --- A member's e-mail (GDPR) --------------------------------------------------------------------


def outgoing_emails_to(*, addresses: Iterable[str]) -> QuerySet[OutgoingEmail]:
    """The outbox's e-mail (waiting, sent or failed) to any of `addresses` (To, Cc or Bcc), for
    a member's data export and erasure; oldest first."""
    wanted = {_address(address) for address in addresses} - {""}
    if not wanted:
        return OutgoingEmail.objects.none()
    maybe = Q()
    for address in wanted:
        maybe |= Q(payload__icontains=address)  # the payload names every recipient, whole
    ids = [
        pk
        for pk, payload in OutgoingEmail.objects.filter(maybe).values_list("pk", "payload")
        if wanted & _addresses_of(payload)
    ]
    return OutgoingEmail.objects.filter(pk__in=ids).order_by("id")


def _address(value) -> str:
    """The bare address, lower-cased: "Åsa <ASA@example.se>" → "asa@example.se"."""
    return parseaddr(str(value or ""))[1].lower()


def _addresses_of(payload) -> set[str]:
    if not isinstance(payload, dict):
        return set()
    return {_address(value) for key in ("to", "cc", "bcc") for value in payload.get(key) or []}


def outgoing_emails_forget(*, addresses: Iterable[str]) -> int:
    """Delete the outbox's e-mail to any of `addresses` (GDPR erasure); waiting e-mail is then
    never sent. Returns how many."""
    deleted, _details = outgoing_emails_to(addresses=addresses).delete()
    return deleted
