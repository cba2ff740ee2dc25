import dataclasses
import smtplib

from celery import shared_task
from django.conf import settings

from .email import email_from_payload, outgoing_emails_purge, outgoing_emails_send
from .idempotency import idempotency_keys_purge
from .services import dashboard_refresh


@shared_task(
    autoretry_for=(smtplib.SMTPException, OSError),
    retry_backoff=30,
    retry_backoff_max=30 * 60,
    retry_jitter=True,
    max_retries=6,
)
def email_send_task(payload: dict) -> int:
    """Send one e-mail given whole. New mail goes through the outbox (outgoing_emails_send_task);
    this stays for messages queued before it. Not acks_late: a message must not go out twice
    after a worker crash."""
    return email_from_payload(payload).send()


@shared_task
def outgoing_emails_send_task() -> dict:
    """Send the outbox's due e-mail (core.email). Started after commits and every minute."""
    return dataclasses.asdict(outgoing_emails_send())


@shared_task(acks_late=True)
def outgoing_emails_purge_task() -> int:
    return outgoing_emails_purge(older_than_days=settings.EMAIL_OUTBOX_KEEP_DAYS)


@shared_task(acks_late=True)
def idempotency_keys_purge_task() -> int:
    return idempotency_keys_purge(older_than_hours=settings.IDEMPOTENCY_KEY_TTL_HOURS)


@shared_task(acks_late=True)
def dashboard_refresh_task() -> int:
    """Recompute the staff dashboard's rollup (core.services.dashboard_refresh); every
    DASHBOARD_REFRESH_SECONDS from beat, an upsert, so running twice does no harm."""
    return dashboard_refresh()
