"""Celery entry points for members: thin, safe to run twice (they call idempotent services)."""

from __future__ import annotations

from celery import shared_task

from members.services.scores import member_scores_compute


@shared_task(acks_late=True)
def member_scores_compute_task() -> int:
    """Recompute every member's scores (scheduled every 6 hours in settings; an upsert, so a
    task delivered twice after a worker restart does no harm)."""
    return member_scores_compute()
