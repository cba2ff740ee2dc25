"""Thin Celery entry points for the forums: each calls one service and is safe to run twice."""

from __future__ import annotations

from celery import shared_task

from forums.services.digest import digests_send


@shared_task(acks_late=True)
def forum_digests_send_task() -> int:
    """Forum e-mail digests (reply, mention, accepted answer) for members with news."""
    return digests_send()
