"""Thin Celery entry points: each calls one service. All are safe to run twice."""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from typing import TYPE_CHECKING

from celery import shared_task
from django.db import transaction

if TYPE_CHECKING:
    from members.models import Purchase

from rewards.services.ledger import points_expire_due
from rewards.services.tiers import tiers_review


@shared_task(acks_late=True)
def points_expire_due_task() -> int:
    return points_expire_due().points


@shared_task(acks_late=True)
def points_birthday_award_task() -> int:
    """Birthday points for today's birthdays (once per member and year)."""
    from rewards.services.activities import points_birthday_award

    return points_birthday_award()


@shared_task(acks_late=True)
def tiers_review_task() -> int:
    result = tiers_review()
    return result.downgraded


@shared_task(acks_late=True)
def gamification_award_task(member_ids: list[int] | None = None) -> int:
    """Badges and challenges reached since the last run (each given once)."""
    from rewards.services.gamification import gamification_award

    return gamification_award(member_ids=member_ids).awarded


def gamification_award_after_purchase(*, purchase: Purchase) -> None:
    """The members.hooks purchase hook: once the purchase is committed, check the buyer's badges
    and challenges (a cheap per-member run; the periodic task catches anything missed)."""
    if purchase.original_id is None:
        transaction.on_commit(
            partial(gamification_award_task.delay, member_ids=[purchase.member_id])
        )


def gamification_award_after_purchases(*, purchases: Sequence[Purchase]) -> None:
    """The batch variant: one task for the buyers of a batch's purchases (returns aside)."""
    member_ids = sorted({p.member_id for p in purchases if p.original_id is None})
    if member_ids:
        transaction.on_commit(partial(gamification_award_task.delay, member_ids=member_ids))


@shared_task(acks_late=True)
def points_bulk_adjust_task(
    *, batch: str, snapshot_id: int, points: int, reason: str, actor_id: int
) -> dict[str, int]:
    """One bulk adjustment (rewards.services.bulk); safe to run twice: keys per member."""
    from rewards.services.bulk import points_bulk_adjust_run

    result = points_bulk_adjust_run(
        batch=batch, snapshot_id=snapshot_id, points=points, reason=reason, actor_id=actor_id
    )
    return {"adjusted": result.adjusted, "skipped": result.skipped}
