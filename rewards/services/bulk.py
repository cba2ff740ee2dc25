"""Bulk points adjustment for a whole segment, with one reason, audited.

`points_bulk_adjust_start` checks everything first (points, reason, the actor's permission, the
segment's rules), freezes the segment into a snapshot (so exactly the members matched at that
moment are adjusted, and staff can see who) and records the batch in the audit log; the caller
then queues `rewards.tasks.points_bulk_adjust_task` with the plan (it has committed).

`points_bulk_adjust_run` (the task's body) adjusts each member of the snapshot through
`points_adjust`, with the idempotency key "bulk:<batch>:<member>", so a task that runs twice,
or is retried halfway, adjusts nobody twice. Members it cannot adjust (erased since, or too few
points for a removal) are counted as skipped.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.services import audit_log
from members.models import Member, Segment, SegmentSnapshot
from members.services.segments import segment_snapshot_create
from rewards.models import BulkAdjustment

from .ledger import _clean_reason, points_adjust, points_clean_amount

BATCH_PERMISSION = "rewards.adjust_points"
BULK_CHUNK = 1000  # members per chunk; the progress is written after each


@dataclass(frozen=True)
class BulkAdjustPlan:
    batch: str
    snapshot_id: int
    members: int
    points: int


@dataclass(frozen=True)
class BulkAdjustResult:
    adjusted: int
    skipped: int


def points_bulk_adjust_start(
    *,
    segment: Segment,
    points: Any,
    reason: Any,
    actor,
    request: HttpRequest | None = None,
) -> BulkAdjustPlan:
    """Freeze `segment` and queue the adjustment of each of its members by `points`."""
    if actor is None or not actor.has_perm(BATCH_PERMISSION):
        raise PermissionError("Only staff with rewards.adjust_points may adjust points.")
    points = points_clean_amount(points, signed=True)
    reason = _clean_reason(reason)
    batch = uuid.uuid4().hex
    with transaction.atomic():
        snapshot = segment_snapshot_create(segment=segment, actor=actor, request=request)
        if snapshot.member_count == 0:
            raise ValidationError(
                _("The segment has no members right now: nothing to adjust."), code="empty"
            )
        BulkAdjustment.objects.create(
            batch=batch,
            segment=segment,
            points=points,
            reason=reason,
            actor=actor,
            members=snapshot.member_count,
        )
        audit_log(
            action="points.bulk_adjust",
            actor=actor,
            target=segment,
            request=request,
            details={
                "batch": batch,
                "snapshot": snapshot.pk,
                "members": snapshot.member_count,
                "points": points,
                "reason": reason,
            },
        )
    return BulkAdjustPlan(
        batch=batch, snapshot_id=snapshot.pk, members=snapshot.member_count, points=points
    )


def points_bulk_adjust_run(
    *, batch: str, snapshot_id: int, points: Any, reason: Any, actor_id: int
) -> BulkAdjustResult:
    """Adjust every member of the snapshot (each in its own transaction, idempotent)."""
    points = points_clean_amount(points, signed=True)
    reason = _clean_reason(reason)
    if not isinstance(batch, str) or not batch.isalnum() or len(batch) > 64:
        raise ValueError("batch must be the batch id from points_bulk_adjust_start.")
    actor = get_user_model().objects.get(pk=actor_id)
    snapshot = SegmentSnapshot.objects.get(pk=snapshot_id)
    member_ids = (
        SegmentSnapshot.members.through.objects.filter(segmentsnapshot_id=snapshot.pk)
        .order_by("member_id")
        .values_list("member_id", flat=True)
    )
    adjusted = skipped = 0
    progress = BulkAdjustment.objects.filter(batch=batch)
    for chunk_start in range(0, snapshot.member_count, BULK_CHUNK):
        ids = list(member_ids[chunk_start : chunk_start + BULK_CHUNK])
        for member in Member.objects.filter(pk__in=ids).order_by("pk"):
            try:
                points_adjust(
                    member=member,
                    points=points,
                    reason=reason,
                    actor=actor,
                    idempotency_key=f"bulk:{batch}:{member.pk}",
                )
            except ValidationError:
                skipped += 1
            else:
                adjusted += 1
        # Absolute figures: a run after a worker restart starts over (the keys make the
        # members already done no-ops) and overwrites them.
        progress.update(
            done=min(chunk_start + BULK_CHUNK, snapshot.member_count),
            adjusted=adjusted,
            skipped=skipped,
        )
    progress.update(
        done=snapshot.member_count,
        adjusted=adjusted,
        skipped=skipped,
        status=BulkAdjustment.Status.DONE,
        finished_at=timezone.now(),
    )
    audit_log(
        action="points.bulk_adjust_done",
        actor=actor,
        target=snapshot.segment,
        details={"batch": batch, "adjusted": adjusted, "skipped": skipped},
    )
    return BulkAdjustResult(adjusted=adjusted, skipped=skipped)
