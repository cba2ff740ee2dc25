"""Thin Celery entry points: each calls one service. All are safe to run twice."""

from celery import shared_task

from rewards.services.ledger import points_expire_due
from rewards.services.tiers import tiers_review


@shared_task(acks_late=True)
def points_expire_due_task() -> int:
    return points_expire_due().points


@shared_task(acks_late=True)
def tiers_review_task() -> int:
    result = tiers_review()
    return result.downgraded
