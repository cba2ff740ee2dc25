"""The points ledger: every write of a member's points goes through here.

Each service locks the member's PointsAccount row (select_for_update) first, then checks its
idempotency key, then appends entries, lots and lot draws and moves the balance, all in one
transaction. Credits pay off any debt first; debits draw from lots oldest-first (earliest expiry),
after expiring the member's due lots, so points past their date can never be spent.
"""

from __future__ import annotations

import datetime
import decimal
import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import connection, models, transaction
from django.db.models import Case, F, IntegerField, OuterRef, Subquery, Sum, Value, When
from django.db.models.functions import Cast, Coalesce, TruncDate
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from core.db import literal_parameters
from core.services import audit_log
from members.models import Member
from rewards.models import PointsAccount, PointsEntry, PointsLot, PointsLotDraw, default_expiry

from .tiers import tier_upgrade_locked

Kind = PointsEntry.Kind
MAX_KEY_LENGTH = 200
CREDIT_KINDS = (Kind.EARN, Kind.ADJUST)

REASON_EXPIRED = gettext_noop("Points earned %(earned)s expired")
REASON_REVERSED = gettext_noop("Reversal: %(reason)s")


# --- Validation ------------------------------------------------------------------------------


def points_clean_amount(value: Any, *, signed: bool = False) -> int:
    """A whole, non-zero number of points no larger than REWARDS_MAX_POINTS_PER_ENTRY (positive
    unless `signed`). Raises ValidationError with a message for people, never writes."""
    limit = settings.REWARDS_MAX_POINTS_PER_ENTRY
    if isinstance(value, (bool, str | bytes)):
        raise ValidationError(
            _("Points must be a whole number such as 100, not text."), code="points_not_number"
        )
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValidationError(_("Points must be a whole number."), code="points_not_number")
        if not value.is_integer():
            raise ValidationError(
                _("Points are whole numbers: %(value)s has a fraction."),
                code="points_fractional",
                params={"value": value},
            )
        value = int(value)
    elif isinstance(value, decimal.Decimal):
        if not value.is_finite():
            raise ValidationError(_("Points must be a whole number."), code="points_not_number")
        if value != value.to_integral_value():
            raise ValidationError(
                _("Points are whole numbers: %(value)s has a fraction."),
                code="points_fractional",
                params={"value": value},
            )
        value = int(value)
    if not isinstance(value, int):
        raise ValidationError(_("Points must be a whole number."), code="points_not_number")
    if value == 0:
        raise ValidationError(_("The number of points cannot be zero."), code="points_zero")
    if value < 0 and not signed:
        raise ValidationError(
            _("The number of points must be more than zero."), code="points_negative"
        )
    if abs(value) > limit:
        raise ValidationError(
            _("At most %(limit)d points can be moved at a time."),
            code="points_too_many",
            params={"limit": limit},
        )
    return value


def clean_key(key: Any, *, max_length: int = MAX_KEY_LENGTH) -> str:
    """A caller's idempotency key, stripped; `max_length` leaves room for a prefix."""
    text = key.strip() if isinstance(key, str) else ""
    if not text or len(text) > max_length or not text.isprintable():
        raise ValidationError(
            _("An idempotency key of 1 to %(limit)d printable characters is required."),
            code="invalid_key",
            params={"limit": max_length},
        )
    return text


def _clean_reason(reason: Any) -> str:
    text = " ".join(str(reason or "").split()) if isinstance(reason, str) else ""
    if not text:
        raise ValidationError(_("A reason the member can read is required."), code="no_reason")
    if len(text) > 255:
        raise ValidationError(_("The reason is at most 255 characters."), code="reason_too_long")
    return text


def _check_member(member: Member) -> None:
    if not isinstance(member, Member) or member.pk is None:
        raise TypeError("member must be a saved members.Member.")
    if member.status == Member.Status.ERASED:
        raise ValidationError(
            _("This member has been erased: their points cannot change."), code="member_erased"
        )


@dataclass(frozen=True)
class Cause:
    """What caused an entry: an object (content type and id) and/or a label."""

    label: str = ""
    obj: models.Model | None = None

    def fields(self) -> dict[str, Any]:
        if self.obj is None:
            return {"cause_label": self.label[:60]}
        return {
            "cause_label": (self.label or self.obj._meta.model_name or "")[:60],
            "cause_type": ContentType.objects.get_for_model(self.obj),
            "cause_id": self.obj.pk,
        }


# --- Locks and the building blocks (callers hold the account lock) ----------------------------


def account_lock(*, member: Member, create: bool = True) -> PointsAccount | None:
    """The member's account, row-locked until the transaction ends; created when missing
    (unless create=False, then None)."""
    if create:
        PointsAccount.objects.bulk_create([PointsAccount(member=member)], ignore_conflicts=True)
    return (
        PointsAccount.objects.select_for_update(of=("self",))
        .select_related("tier")
        .filter(member=member)
        .first()
    )


def entry_existing(*, member: Member, key: str) -> PointsEntry | None:
    entry = PointsEntry.objects.filter(idempotency_key=key).first()
    if entry is not None and entry.member_id != member.pk:
        raise ValidationError(
            _("This idempotency key was already used for another member."), code="key_conflict"
        )
    return entry


def _new_entry(
    *,
    member: Member,
    kind: str,
    amount: int,
    debt_change: int = 0,
    qualifying: int = 0,
    reason: str,
    reason_params: dict | None = None,
    key: str,
    cause: Cause | None = None,
    actor=None,
    reverses: PointsEntry | None = None,
    now: datetime.datetime,
) -> PointsEntry:
    return PointsEntry.objects.create(
        member=member,
        kind=kind,
        amount=amount,
        debt_change=debt_change,
        qualifying=qualifying,
        reason=reason,
        reason_params=reason_params or {},
        idempotency_key=key,
        actor=actor,
        reverses=reverses,
        created_at=now,
        **(cause or Cause()).fields(),
    )


def _move_account(account: PointsAccount, *, balance: int, debt: int = 0) -> None:
    if balance == 0 and debt == 0:
        return
    PointsAccount.objects.filter(pk=account.pk).update(
        balance=F("balance") + balance, debt=F("debt") + debt, updated_at=timezone.now()
    )
    account.balance += balance
    account.debt += debt


def credit_locked(
    *,
    account: PointsAccount,
    member: Member,
    kind: str,
    points: int,
    reason: str,
    reason_params: dict | None = None,
    key: str,
    cause: Cause | None = None,
    actor=None,
    qualifying: int = 0,
    expires_on: datetime.date | bool | None = True,
    reverses: PointsEntry | None = None,
    now: datetime.datetime,
) -> PointsEntry:
    """Credit `points`: first pay off the debt, then put the rest in a new lot."""
    paid = min(account.debt, points)
    net = points - paid
    entry = _new_entry(
        member=member,
        kind=kind,
        amount=net,
        debt_change=-paid,
        qualifying=qualifying,
        reason=reason,
        reason_params=reason_params,
        key=key,
        cause=cause,
        actor=actor,
        reverses=reverses,
        now=now,
    )
    if net:
        if expires_on is True:
            expires_on = default_expiry(timezone.localdate(now))
        PointsLot.objects.create(
            member=member,
            entry=entry,
            amount=net,
            remaining=net,
            earned_at=now,
            expires_on=expires_on or None,
        )
    _move_account(account, balance=net, debt=-paid)
    return entry


def _open_lots(member: Member, *, prefer_lot_id: int | None = None):
    order: list[Any] = []
    if prefer_lot_id is not None:
        order.append(Case(When(pk=prefer_lot_id, then=Value(0)), default=Value(1)))
    order += [F("expires_on").asc(nulls_last=True), "earned_at", "id"]
    return (
        PointsLot.objects.select_for_update()
        .filter(member=member, remaining__gt=0)
        .order_by(*order)
    )


def debit_locked(
    *,
    account: PointsAccount,
    member: Member,
    kind: str,
    points: int,
    reason: str,
    reason_params: dict | None = None,
    key: str,
    cause: Cause | None = None,
    actor=None,
    qualifying: int = 0,
    allow_debt: bool = False,
    prefer_lot_id: int | None = None,
    reverses: PointsEntry | None = None,
    now: datetime.datetime,
) -> PointsEntry:
    """Take `points` from the member's lots, oldest first (after expiring what is due). Without
    enough points: refused, or with allow_debt (returns) the rest becomes debt."""
    expired, _points = expire_due_locked(
        member_ids=[member.pk], today=timezone.localdate(now), now=now
    )
    if expired:
        account.refresh_from_db(fields=["balance", "debt"])
    if account.balance < points and not allow_debt:
        raise ValidationError(
            _("Not enough points: %(needed)d needed, %(balance)d available."),
            code="too_few_points",
            params={"needed": points, "balance": account.balance},
        )
    take = min(points, account.balance)
    entry = _new_entry(
        member=member,
        kind=kind,
        amount=-take,
        debt_change=points - take,
        qualifying=qualifying,
        reason=reason,
        reason_params=reason_params,
        key=key,
        cause=cause,
        actor=actor,
        reverses=reverses,
        now=now,
    )
    left = take
    draws, lots = [], []
    offset, page = 0, 20  # most debits need one or two lots: read a page, more only if needed
    while left:
        chunk = list(_open_lots(member, prefer_lot_id=prefer_lot_id)[offset : offset + page])
        for lot in chunk:
            drawn = min(lot.remaining, left)
            lot.remaining -= drawn
            left -= drawn
            lots.append(lot)
            draws.append(PointsLotDraw(entry=entry, lot=lot, amount=drawn))
            if not left:
                break
        if len(chunk) < page:
            break
        offset, page = offset + page, 500
    if left:  # the balance and the lots disagree: never paper over it
        raise RuntimeError(f"Lots of member {member.pk} hold less than the balance; reconcile.")
    PointsLot.objects.bulk_update(lots, ["remaining"])
    PointsLotDraw.objects.bulk_create(draws)
    _move_account(account, balance=-take, debt=points - take)
    return entry


def credit_back_locked(
    *,
    account: PointsAccount,
    entry: PointsEntry,
    reason: str,
    reason_params: dict | None = None,
    key: str,
    actor=None,
    now: datetime.datetime,
) -> PointsEntry:
    """Give back what the debit `entry` took: debt first, then into the lots it drew from (the
    latest-expiring first) while they are still valid; points whose lot has expired meanwhile go
    into a new lot valid for REWARDS_RETURNED_POINTS_VALID_DAYS."""
    points = -entry.amount
    paid = min(account.debt, points)
    rest = points - paid
    reversal = _new_entry(
        member=entry.member,
        kind=Kind.REVERSE,
        amount=rest,
        debt_change=-paid,
        reason=reason,
        reason_params=reason_params,
        key=key,
        cause=Cause(label="reversal", obj=entry),
        actor=actor,
        reverses=entry,
        now=now,
    )
    today = timezone.localdate(now)
    left = rest
    lots, draws = [], []
    expired_points = 0
    originals_query = (
        PointsLotDraw.objects.filter(entry=entry)
        .select_related("lot")
        .select_for_update(of=("lot",))
        .order_by(F("lot__expires_on").desc(nulls_first=True), "-lot_id")
    )
    originals = list(originals_query)
    # A lot counts as expired once its expiry entry exists, whatever the date says: an expiry
    # run for a later day (or a clock set back) must not see the lot come back to life.
    expired_keys = set(
        PointsEntry.objects.filter(
            idempotency_key__in=[f"expire:lot:{draw.lot_id}" for draw in originals]
        ).values_list("idempotency_key", flat=True)
    )
    for draw in originals:
        if not left:
            break
        given = min(draw.amount, left)
        left -= given
        lot = draw.lot
        if (lot.expires_on is not None and lot.expires_on < today) or (
            f"expire:lot:{lot.pk}" in expired_keys
        ):
            expired_points += given
            continue
        lot.remaining += given
        lots.append(lot)
        draws.append(PointsLotDraw(entry=reversal, lot=lot, amount=-given))
    PointsLot.objects.bulk_update(lots, ["remaining"])
    PointsLotDraw.objects.bulk_create(draws)
    if expired_points:
        PointsLot.objects.create(
            member=entry.member,
            entry=reversal,
            amount=expired_points,
            remaining=expired_points,
            earned_at=now,
            expires_on=today + datetime.timedelta(days=settings.REWARDS_RETURNED_POINTS_VALID_DAYS),
        )
    _move_account(account, balance=rest, debt=-paid)
    return reversal


def expire_due_locked(
    *, member_ids: Iterable[int], today: datetime.date, now: datetime.datetime
) -> tuple[int, int]:
    """Expire every lot of these members whose last day is before `today`: one expiry entry per
    lot (its key "expire:lot:<id>" makes a lot expire once), a draw of what remained, the
    balance lowered by one UPDATE. The caller holds the members' account locks.

    Set-based: after one aggregate (which finds nothing on most calls, e.g. before a debit) it is
    four statements whatever the number of lots: INSERT … SELECT of the entries, INSERT … SELECT
    of the draws (joined to their entries by key), one UPDATE of the balances and one of the
    lots. Returns (lots, points)."""
    due = PointsLot.objects.filter(
        member_id__in=list(member_ids), remaining__gt=0, expires_on__lt=today
    )
    totals = due.aggregate(lots=models.Count("pk"), points=Sum("remaining"))
    if not totals["lots"]:
        return 0, 0
    entries = PointsEntry._meta.db_table
    due_sql, due_params = (
        due.order_by()
        .annotate(earned_on=Cast(TruncDate("earned_at"), models.CharField()))
        .values("id", "member_id", "remaining", "earned_on")
        .query.sql_with_params()
    )
    json_object = "jsonb_build_object" if connection.vendor == "postgresql" else "json_object"
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {entries} (member_id, kind, amount, debt_change, qualifying, reason, "  # noqa: S608 - names from _meta, values bound
            "reason_params, cause_label, idempotency_key, created_at) "
            f"SELECT due.member_id, %s, -due.remaining, 0, 0, %s, "
            f"{json_object}('earned', due.earned_on), 'expiry', 'expire:lot:' || due.id, %s "
            f"FROM ({due_sql}) due",
            [Kind.EXPIRE, REASON_EXPIRED, now, *due_params],
        )
        cursor.execute(
            f"INSERT INTO {PointsLotDraw._meta.db_table} (entry_id, lot_id, amount) "  # noqa: S608 - names from _meta, values bound
            f"SELECT entry.id, due.id, due.remaining FROM ({due_sql}) due "
            f"JOIN {entries} entry ON entry.idempotency_key = ('expire:lot:' || due.id)",
            list(due_params),
        )
    expiring = (
        PointsLot.objects.filter(
            member_id=OuterRef("member_id"), remaining__gt=0, expires_on__lt=today
        )
        .order_by()
        .values("member_id")
        .annotate(total=Sum("remaining"))
        .values("total")
    )
    PointsAccount.objects.filter(member_id__in=due.values("member_id")).update(
        balance=F("balance") - Coalesce(Subquery(expiring, output_field=IntegerField()), Value(0)),
        updated_at=now,
    )
    due.update(remaining=0)
    return totals["lots"], totals["points"]


# --- The services --------------------------------------------------------------------------


def points_award(
    *,
    member: Member,
    points: Any,
    reason: str,
    idempotency_key: str,
    cause: Cause | None = None,
    actor=None,
    reason_params: dict | None = None,
    kind: str = Kind.EARN,
    counts_for_tier: bool = True,
    expires_on: datetime.date | bool | None = True,
) -> PointsEntry:
    """Credit `points` earned by `member` (once per idempotency key: a repeated key returns the
    first entry). Pays off any debt first, puts the rest in a lot expiring by default at the end
    of the second calendar year, and moves the member up a tier when a threshold is passed."""
    points = points_clean_amount(points)
    key = clean_key(idempotency_key)
    reason = _clean_reason(reason)
    _check_member(member)
    if kind not in CREDIT_KINDS:
        raise ValueError(f"points_award cannot make {kind!r} entries.")
    now = timezone.now()
    with transaction.atomic():
        account = account_lock(member=member)
        assert account is not None
        existing = entry_existing(member=member, key=key)
        if existing is not None:
            return existing
        entry = credit_locked(
            account=account,
            member=member,
            kind=kind,
            points=points,
            reason=reason,
            reason_params=reason_params,
            key=key,
            cause=cause,
            actor=actor,
            qualifying=points if counts_for_tier else 0,
            expires_on=expires_on,
            now=now,
        )
        if counts_for_tier:
            tier_upgrade_locked(account=account, now=now)
    return entry


def points_debit(
    *,
    member: Member,
    points: Any,
    reason: str,
    idempotency_key: str,
    cause: Cause | None = None,
    actor=None,
    reason_params: dict | None = None,
    kind: str = Kind.REDEEM,
) -> PointsEntry:
    """Spend `points` oldest-lot-first (once per idempotency key). Refused with a clear message,
    writing nothing, when the member has too few points."""
    points = points_clean_amount(points)
    key = clean_key(idempotency_key)
    reason = _clean_reason(reason)
    _check_member(member)
    if kind not in (Kind.REDEEM, Kind.ADJUST):
        raise ValueError(f"points_debit cannot make {kind!r} entries.")
    now = timezone.now()
    with transaction.atomic():
        account = account_lock(member=member, create=False)
        existing = entry_existing(member=member, key=key)
        if existing is not None:
            return existing
        if account is None:
            raise ValidationError(
                _("Not enough points: %(needed)d needed, %(balance)d available."),
                code="too_few_points",
                params={"needed": points, "balance": 0},
            )
        return debit_locked(
            account=account,
            member=member,
            kind=kind,
            points=points,
            reason=reason,
            reason_params=reason_params,
            key=key,
            cause=cause,
            actor=actor,
            now=now,
        )


def reversed_points(*, entry: PointsEntry) -> int:
    """How much of the credit `entry` reversals (and returns) have taken back so far."""
    return PointsEntry.objects.filter(reverses=entry).aggregate(
        total=Coalesce(Sum(F("debt_change") - F("amount")), 0)
    )["total"]


def points_reverse(
    *,
    entry: PointsEntry,
    actor=None,
    reason: str | None = None,
    idempotency_key: str | None = None,
) -> PointsEntry:
    """Undo `entry` with a new entry (entries are never changed). A debit's points go back to the
    lots they came from; a credit is taken back from its own lot first, and what the member has
    spent already becomes debt. An entry is reversed at most once (a repeat returns the
    reversal)."""
    if entry.kind in (Kind.REVERSE, Kind.EXPIRE):
        raise ValidationError(
            _("Reversals and expiries cannot be reversed."), code="not_reversible"
        )
    key = clean_key(idempotency_key or f"reverse:{entry.pk}")
    now = timezone.now()
    member = entry.member
    with transaction.atomic():
        account = account_lock(member=member)
        assert account is not None
        existing = entry_existing(member=member, key=key)
        if existing is not None:
            return existing
        text = reason if reason is not None else entry.reason_display
        params = {"reason": _clean_reason(text)}
        if entry.amount < 0:
            existing = PointsEntry.objects.filter(reverses=entry).first()
            if existing is not None:
                return existing
            return credit_back_locked(
                account=account,
                entry=entry,
                reason=REASON_REVERSED,
                reason_params=params,
                key=key,
                actor=actor,
                now=now,
            )
        remaining = entry.amount - entry.debt_change - reversed_points(entry=entry)
        if remaining <= 0:
            existing = PointsEntry.objects.filter(reverses=entry).order_by("-id").first()
            assert existing is not None
            return existing
        return debit_locked(
            account=account,
            member=member,
            kind=Kind.REVERSE,
            points=remaining,
            reason=REASON_REVERSED,
            reason_params=params,
            key=key,
            cause=Cause(label="reversal", obj=entry),
            actor=actor,
            qualifying=-remaining if entry.qualifying else 0,
            allow_debt=True,
            prefer_lot_id=PointsLot.objects.filter(entry=entry)
            .values_list("pk", flat=True)
            .first(),
            reverses=entry,
            now=now,
        )


def points_adjust(
    *,
    member: Member,
    points: Any,
    reason: str,
    actor,
    idempotency_key: str,
    request: HttpRequest | None = None,
) -> PointsEntry:
    """Staff add (points > 0) or remove (points < 0) points with a reason the member sees;
    audited. Refused for erased members, for removing more than the balance, and for staff
    without rewards.adjust_points."""
    points = points_clean_amount(points, signed=True)
    key = clean_key(idempotency_key)
    reason = _clean_reason(reason)
    _check_member(member)
    if actor is None or not actor.has_perm("rewards.adjust_points"):
        raise PermissionError("Only staff with rewards.adjust_points may adjust points.")
    now = timezone.now()
    with transaction.atomic():
        account = account_lock(member=member)
        assert account is not None
        existing = entry_existing(member=member, key=key)
        if existing is not None:
            return existing
        common = {
            "account": account,
            "member": member,
            "kind": Kind.ADJUST,
            "points": abs(points),
            "reason": reason,
            "key": key,
            "cause": Cause(label="staff"),
            "actor": actor,
            "now": now,
        }
        entry = credit_locked(**common) if points > 0 else debit_locked(**common)
        audit_log(
            action="points.adjust",
            actor=actor,
            target=member,
            request=request,
            details={"points": points, "entry": entry.pk, "reason": reason},
        )
    return entry


@dataclass(frozen=True)
class ExpiryResult:
    lots: int
    points: int
    members: int


@literal_parameters()
def points_expire_due(
    *, today: datetime.date | None = None, batch_size: int = 2000
) -> ExpiryResult:
    """Expire every lot whose last day is before `today`, set-based in batches of members (a
    fixed number of queries per batch). Idempotent: a second run the same day finds nothing,
    and each lot can expire only once (unique key per lot)."""
    today = today or timezone.localdate()
    lots = points = members = 0
    while True:
        now = timezone.now()
        with transaction.atomic():
            member_ids = list(
                PointsLot.objects.filter(remaining__gt=0, expires_on__lt=today)
                .order_by("member_id")
                .values_list("member_id", flat=True)
                .distinct()[:batch_size]
            )
            if not member_ids:
                break
            # Lock the accounts (in member order, like every other path: no deadlocks).
            list(
                PointsAccount.objects.select_for_update()
                .filter(member_id__in=member_ids)
                .order_by("member_id")
                .values_list("pk", flat=True)
            )
            done_lots, done_points = expire_due_locked(member_ids=member_ids, today=today, now=now)
            lots += done_lots
            points += done_points
            members += len(member_ids)
    return ExpiryResult(lots=lots, points=points, members=members)
