"""Thin Celery entry points: each calls one service, and each is safe to run twice (and at the
same time): the services decide under row locks and unique keys."""

from __future__ import annotations

from celery import shared_task

from events.services.registrations import offers_expire
from events.services.reminders import reminders_send


@shared_task(acks_late=True)
def reminders_send_task() -> int:
    """Reminders due now (each once; never to the cancelled)."""
    return reminders_send()


@shared_task(acks_late=True)
def offers_expire_task() -> int:
    """Offers not taken in time pass to the next in line."""
    return offers_expire()
