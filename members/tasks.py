"""Celery entry points for members: thin, safe to run twice (they call idempotent services)."""

from __future__ import annotations

from celery import shared_task

from members.services.scores import member_scores_compute


@shared_task(acks_late=True)
def member_scores_compute_task() -> int:
    """Recompute every member's scores (scheduled every 6 hours in settings; an upsert, so a
    task delivered twice after a worker restart does no harm)."""
    return member_scores_compute()


@shared_task(acks_late=True, reject_on_worker_lost=True)
def member_import_run_task(member_import_id: int, actor_id: int | None = None) -> str:
    """Import a confirmed CSV in chunks (members.services.imports.member_import_run); delivered
    again after a worker dies, it resumes where the committed progress says."""
    from members.services.imports import member_import_run

    done = member_import_run(member_import_id=member_import_id, actor_id=actor_id)
    return done.status if done is not None else "missing"
