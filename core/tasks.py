import smtplib

from celery import shared_task
from django.conf import settings

from .email import email_from_payload
from .idempotency import idempotency_keys_purge


@shared_task(
    autoretry_for=(smtplib.SMTPException, OSError),
    retry_backoff=30,
    retry_backoff_max=30 * 60,
    retry_jitter=True,
    max_retries=6,
)
def email_send_task(payload: dict) -> int:
    """Send one e-mail. Not acks_late: a message must not go out twice after a worker crash."""
    if not isinstance(payload, dict) or not payload.get("to"):
        raise ValueError("email_send_task needs a payload with at least one recipient in 'to'.")
    return email_from_payload(payload).send()


@shared_task(acks_late=True)
def idempotency_keys_purge_task() -> int:
    return idempotency_keys_purge(older_than_hours=settings.IDEMPOTENCY_KEY_TTL_HOURS)
