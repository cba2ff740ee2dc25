"""The outbox of a campaign: built in one INSERT … SELECT when sending starts, claimed by workers
in batches with SKIP LOCKED, and recovered when a worker died.

Build. The segment's members are frozen in a members snapshot (members.services.segments), then
one statement ranks them in a random order and cuts the ranks by fixed shares: the first
`holdout_share` of the ranks are the holdout (written as skipped, reason holdout), the rest go to
the variants by their shares. The split is exact up to one member per group, decided by the
database, and `ON CONFLICT DO NOTHING` makes a second build write nothing.

Claim. A worker marks a batch of due queued messages `claimed` under its owner number, in one
short transaction (`FOR UPDATE SKIP LOCKED`, so two workers never claim the same row). Only
while handing one message to the server is it `sending`: at most one message per worker.

Recovery. On PostgreSQL a worker holds a session advisory lock on its owner number while it
sends; the database releases it the moment the worker's connection dies. Rows held by an owner
whose lock can be taken are orphans: `claimed` ones go back to the queue (they never left),
the `sending` one becomes `in_doubt` (it may have left; never resent silently). Elsewhere
(SQLite, the embedded default) an owner counts as dead after CAMPAIGNS_CLAIM_LEASE_MINUTES.
"""

from __future__ import annotations

import datetime
import random
from decimal import Decimal
from typing import Any, cast

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from campaigns.models import Campaign, Message

_q = connection.ops.quote_name


def owner_new() -> int:
    """A random owner number for one send run (fits a PostgreSQL bigint advisory lock key)."""
    return random.SystemRandom().randrange(1, 2**62)


def _is_postgres() -> bool:
    return connection.vendor == "postgresql"


def owner_hold(owner: int) -> None:
    if _is_postgres():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s)", [owner])


def owner_release(owner: int) -> None:
    if _is_postgres():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [owner])


def outbox_build(*, campaign: Campaign, now: datetime.datetime | None = None) -> int:
    """Write the campaign's messages from its snapshot; returns how many rows were written."""
    now = now or timezone.now()
    variants = list(campaign.variants.order_by("name", "pk"))
    if campaign.snapshot_id is None or not variants:
        raise ValueError("A campaign needs a snapshot and at least one variant to build.")
    holdout = Decimal(campaign.holdout_share)
    # Test mode: the variants share the first `test_share` of the non-holdout ranks; the rest is
    # held until the winner is chosen (campaign_test_decide).
    tested = Decimal(campaign.test_share) if campaign.test_share else Decimal(1)
    total_share = sum(Decimal(v.share) for v in variants)
    bounds: list[tuple[float, int]] = []
    cumulative = Decimal(0)
    for variant in variants:
        cumulative += Decimal(variant.share) / total_share
        bounds.append((float(holdout + (1 - holdout) * tested * cumulative), variant.pk))
    held_from = float(holdout + (1 - holdout) * tested) if tested < 1 else 2.0
    cases = " ".join("WHEN ranked.pos < %s THEN %s" for _ in bounds)
    case_params: list[Any] = [value for bound in bounds for value in bound]
    message = Message._meta.db_table
    through = cast(Any, Campaign.snapshot.field.related_model).members.through
    sql = (
        f"INSERT INTO {_q(message)} (campaign_id, member_id, channel, occasion_key, variant_id, "  # noqa: S608 - names from _meta, values bound
        "is_holdout, body, state, skip_reason, error, attempts, next_attempt_at, address, "
        "language, provider_id, created_at) "
        "SELECT %s, ranked.member_id, %s, '', "
        f"CASE WHEN ranked.pos < %s THEN NULL {cases} ELSE %s END, "
        "ranked.pos < %s, '', "
        "CASE WHEN ranked.pos < %s THEN 'skipped' WHEN ranked.pos >= %s THEN 'held' "
        "ELSE 'queued' END, "
        "CASE WHEN ranked.pos < %s THEN 'holdout' ELSE '' END, "
        "'', 0, %s, '', '', '', %s "
        "FROM (SELECT sm.member_id, "
        "CAST(ROW_NUMBER() OVER (ORDER BY RANDOM()) - 1 AS DOUBLE PRECISION) "
        "/ COUNT(*) OVER () AS pos "
        f"FROM {_q(through._meta.db_table)} sm WHERE sm.segmentsnapshot_id = %s) ranked "
        # "WHERE true": SQLite would read ON CONFLICT after a bare FROM as a join's ON.
        "WHERE true ON CONFLICT DO NOTHING"
    )
    h = float(holdout)
    # Past the last bound: the held rest in test mode (no variant yet), else rounding's last
    # member, who belongs to the last variant.
    rest = None if tested < 1 else bounds[-1][1]
    params: list[Any] = [
        campaign.pk,
        campaign.channel,
        h,
        *case_params,
        rest,
        h,
        h,
        held_from,
        h,
        now,
        now,
        campaign.snapshot_id,
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def messages_claim(
    *, campaign_id: int, owner: int, batch: int, now: datetime.datetime
) -> list[int]:
    """Claim up to `batch` due queued messages of the campaign for `owner`; their ids."""
    with transaction.atomic():
        ids = list(
            Message.objects.select_for_update(skip_locked=True)
            .filter(campaign_id=campaign_id, state=Message.State.QUEUED, next_attempt_at__lte=now)
            .order_by("next_attempt_at", "id")
            .values_list("id", flat=True)[:batch]
        )
        if ids:
            Message.objects.filter(pk__in=ids, state=Message.State.QUEUED).update(
                state=Message.State.CLAIMED, claimed_by=owner, claimed_at=now
            )
    return ids


def messages_release(*, owner: int, ids: list[int] | None = None, next_attempt_at=None) -> int:
    """Give the owner's claimed (never handed over) messages back to the queue."""
    rows = Message.objects.filter(claimed_by=owner, state=Message.State.CLAIMED)
    if ids is not None:
        rows = rows.filter(pk__in=ids)
    changes: dict[str, object] = {"state": Message.State.QUEUED, "claimed_by": None}
    if next_attempt_at is not None:
        changes["next_attempt_at"] = next_attempt_at
    return rows.update(**changes)


IN_DOUBT_NOTE = "The worker stopped while handing this message over; it may have been sent."


def _dead_owners(owners: list[int], *, exclude: int | None, now: datetime.datetime) -> list[int]:
    owners = [o for o in owners if o != exclude]
    if not owners:
        return []
    if not _is_postgres():
        lease = now - datetime.timedelta(minutes=settings.CAMPAIGNS_CLAIM_LEASE_MINUTES)
        stale = set(
            Message.objects.filter(
                claimed_by__in=owners,
                state__in=[Message.State.CLAIMED, Message.State.SENDING],
                claimed_at__lt=lease,
            ).values_list("claimed_by", flat=True)
        )
        return sorted(owner for owner in stale if owner is not None)
    dead = []
    with connection.cursor() as cursor:
        for owner in owners:
            cursor.execute("SELECT pg_try_advisory_lock(%s)", [owner])
            if cursor.fetchone()[0]:
                dead.append(owner)
                cursor.execute("SELECT pg_advisory_unlock(%s)", [owner])
    return dead


def messages_recover(
    *, exclude_owner: int | None = None, now: datetime.datetime | None = None
) -> tuple[int, int]:
    """Find messages held by workers that died: (requeued, marked in doubt)."""
    now = now or timezone.now()
    owners = list(
        Message.objects.filter(state__in=[Message.State.CLAIMED, Message.State.SENDING])
        .values_list("claimed_by", flat=True)
        .distinct()
    )
    requeued = in_doubt = 0
    for owner in _dead_owners([o for o in owners if o is not None], exclude=exclude_owner, now=now):
        requeued += messages_release(owner=owner)
        in_doubt += Message.objects.filter(claimed_by=owner, state=Message.State.SENDING).update(
            state=Message.State.IN_DOUBT, error=IN_DOUBT_NOTE
        )
    return requeued, in_doubt
