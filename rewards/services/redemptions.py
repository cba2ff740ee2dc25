"""Redeeming rewards: one service, one transaction. Eligibility, limits, stock, the oldest-lot-
first debit, the redemption with its voucher code (and, for a physical reward, how it reaches the
member: by post or picked up in a store) and the confirmation e-mail (into the outbox, sent after
commit) all happen together or not at all. Cancelling returns the points and the stock."""

from __future__ import annotations

import datetime
import secrets
from dataclasses import dataclass
from typing import Any, NamedTuple

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import F
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from core.branded_email import render_branded_email
from core.email import email_send_later
from core.services import audit_log
from members.models import Member, Segment, Store
from rewards.hooks import redemption_hooks
from rewards.models import PointsAccount, PointsEntry, Redemption, Reward
from rewards.targeting import member_in_segment

from .ledger import (
    Cause,
    account_lock,
    clean_key,
    credit_back_locked,
    debit_locked,
    expire_due_locked,
)

VOUCHER_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I
VOUCHER_LENGTH = 10
REASON_REDEEMED = gettext_noop("Redeemed: %(reward)s")
REASON_CANCELLED = gettext_noop("Redemption cancelled: %(reward)s")


def voucher_code_generate() -> str:
    return "".join(secrets.choice(VOUCHER_ALPHABET) for _i in range(VOUCHER_LENGTH))


def _reward_names(reward: Reward) -> dict[str, str]:
    return {"sv": reward.name_sv or reward.name_en, "en": reward.name_en or reward.name_sv}


REFUSALS = {
    "member_not_active": _("Only active members can redeem rewards."),
    "reward_expired": _("This reward is no longer available."),
    "reward_not_yet": _("This reward can be redeemed from %(date)s."),
    "wrong_tier": _("This reward is not for your tier."),
    "not_in_segment": _("This reward is offered to other members."),
    "over_limit": _("You have already redeemed this reward the most times allowed (%(limit)d)."),
    "too_few_points": _("Not enough points: %(needed)d needed, %(balance)d available."),
    "out_of_stock": _("This reward is out of stock."),
    "key_conflict": _("This idempotency key was already used for another reward."),
    "delivery_missing": _(
        "Tell us how you want to get this reward: an address to send it to, or a store to pick "
        "it up from."
    ),
    "delivery_address_missing": _(
        "Please give the whole delivery address: name, street address, postcode and city."
    ),
    "pickup_store_missing": _("Please choose the store where you want to pick it up."),
}


@dataclass(frozen=True)
class Delivery:
    """How a physical reward reaches the member: `method` "post" (with name, address, postcode
    and city) or "pickup" (with an active store)."""

    method: str
    name: str = ""
    address: str = ""
    postcode: str = ""
    city: str = ""
    store: Store | None = None


def delivery_clean(delivery: Delivery | None) -> Delivery | None:
    """The delivery with its text trimmed, or ValidationError (code and a message for the
    member) when it is incomplete. Raised before anything is written."""
    if delivery is None:
        return None
    if delivery.method == Redemption.Delivery.POST:
        cleaned = Delivery(
            method=delivery.method,
            name=" ".join(delivery.name.split())[:150],
            address=" ".join(delivery.address.split())[:200],
            postcode=" ".join(delivery.postcode.split())[:10],
            city=" ".join(delivery.city.split())[:80],
        )
        if not (cleaned.name and cleaned.address and cleaned.postcode and cleaned.city):
            raise _refusal("delivery_address_missing")
        return cleaned
    if delivery.method == Redemption.Delivery.PICKUP:
        if delivery.store is None or not delivery.store.is_active:
            raise _refusal("pickup_store_missing")
        return Delivery(method=delivery.method, store=delivery.store)
    raise _refusal("delivery_missing")


def _delivery_fields(reward: Reward, delivery: Delivery | None) -> dict[str, Any]:
    """The redemption's delivery columns: empty unless the reward is physical."""
    if delivery is None or not reward.is_physical:
        return {}
    return {
        "delivery": delivery.method,
        "delivery_name": delivery.name,
        "delivery_address": delivery.address,
        "delivery_postcode": delivery.postcode,
        "delivery_city": delivery.city,
        "pickup_store": delivery.store,
    }


def _refusal(code: str, **params: Any) -> ValidationError:
    """The ValidationError, with its message for the member, that refuses a redemption."""
    return ValidationError(REFUSALS[code], code=code, params=params or None)


def reward_check_visible(
    *, member: Member, reward: Reward, account: PointsAccount | None, now: datetime.datetime
) -> None:
    """Raise ValidationError (with a message for the member) unless `member` may redeem `reward`
    now, apart from their points and the stock."""
    if member.status != Member.Status.ACTIVE:
        raise _refusal("member_not_active")
    if not reward.is_active or (reward.valid_until is not None and reward.valid_until <= now):
        raise _refusal("reward_expired")
    if reward.valid_from is not None and reward.valid_from > now:
        raise _refusal("reward_not_yet", date=timezone.localdate(reward.valid_from).isoformat())
    tier_ids = {tier.pk for tier in reward.tiers.all()}
    if tier_ids and (account is None or account.tier_id not in tier_ids):
        raise _refusal("wrong_tier")
    if reward.segment is not None and not member_in_segment(member=member, segment=reward.segment):
        raise _refusal("not_in_segment")


def _confirmation_email(
    redemption: Redemption, member: Member, delivery: Delivery | None = None
) -> None:
    """The confirmation, in the club's branded layout and the member's language, into the
    outbox (sent after commit)."""
    if not member.email:
        return
    message = render_branded_email(
        "rewards/email/redemption",
        {
            "member": member,
            "reward": redemption.reward,
            "redemption": redemption,
            # Only a delivery that was stored (a physical reward's): the reward's kind is not
            # loaded on the database path, the redemption's delivery is whenever one was given.
            "delivery": delivery if delivery is not None and redemption.delivery else None,
        },
        member.language,
        to=[member.email],
    )
    email_send_later(message)


def redeem_in_database() -> bool:
    """Whether reward_redeem runs as the database function (PostgreSQL, unless
    REWARDS_REDEEM_IN_DATABASE is off) rather than through the ORM."""
    return connection.vendor == "postgresql" and settings.REWARDS_REDEEM_IN_DATABASE


# The ledger key is "redeem:<member id>:<key>" in 200 characters; the API's Idempotency-Key
# header is held to fewer still (core.idempotency.MAX_KEY_LENGTH).
REDEEM_KEY_MAX_LENGTH = 160


def reward_redeem(
    *,
    member: Member,
    reward: Reward,
    idempotency_key: Any,
    actor=None,
    delivery: Delivery | None = None,
) -> Redemption:
    """`member` spends points on `reward`. Once per idempotency key: a repeated key returns the
    first redemption, unchanged. Refusals (not eligible, no or an incomplete delivery for a
    physical reward, over the limit, too few points, out of stock) raise ValidationError with a
    message for the member and write nothing. The reward is read afresh inside the transaction
    (only `reward.pk` is used): Reward.DoesNotExist when it is gone. `delivery` is kept only for
    a physical reward (Reward.is_physical), which needs one.

    On PostgreSQL this is one call of the database function rewards_redeem (migration 0006);
    reward_redeem_orm is the same service through the ORM, used on SQLite and kept as the
    reference that the tests hold both to."""
    key = clean_key(idempotency_key, max_length=REDEEM_KEY_MAX_LENGTH)
    if not isinstance(member, Member) or member.pk is None:
        raise TypeError("member must be a saved members.Member.")
    if not isinstance(reward.pk, int) or not 0 < reward.pk < 2**63:
        raise Reward.DoesNotExist  # no such id can exist; the database function takes a bigint
    delivery = delivery_clean(delivery)
    hooks = redemption_hooks()
    if not hooks:
        return _redeem(member=member, reward=reward, key=key, actor=actor, delivery=delivery)
    # rewards.hooks: each hook may refuse before anything is written, and finishes its part
    # after the redemption, all in one transaction (the caller's, or one of its own). No block
    # of our own inside the caller's: a refusal must leave the caller's transaction usable.
    if connection.in_atomic_block:
        return _redeem_with_hooks(
            hooks, member=member, reward=reward, key=key, actor=actor, delivery=delivery
        )
    with transaction.atomic():
        return _redeem_with_hooks(
            hooks, member=member, reward=reward, key=key, actor=actor, delivery=delivery
        )


def _redeem_with_hooks(
    hooks, *, member: Member, reward: Reward, key: str, actor, delivery: Delivery | None
) -> Redemption:
    afters = [after for hook in hooks if (after := hook(reward_id=reward.pk, member=member))]
    redemption = _redeem(member=member, reward=reward, key=key, actor=actor, delivery=delivery)
    for after in afters:
        after(redemption)
    return redemption


def _redeem(
    *, member: Member, reward: Reward, key: str, actor=None, delivery: Delivery | None = None
) -> Redemption:
    if redeem_in_database():
        return _reward_redeem_in_database(
            member=member, reward_id=reward.pk, key=key, actor=actor, delivery=delivery
        )
    return reward_redeem_orm(member=member, reward=reward, key=key, actor=actor, delivery=delivery)


def reward_redeem_orm(
    *, member: Member, reward: Reward, key: str, actor=None, delivery: Delivery | None = None
) -> Redemption:
    """reward_redeem through the ORM (`key` and `delivery` already cleaned)."""
    now = timezone.now()
    with transaction.atomic():
        account = account_lock(member=member, create=False)
        existing = (
            Redemption.objects.select_related("reward", "entry")
            .filter(member=member, idempotency_key=key)
            .first()
        )
        if existing is not None:
            if existing.reward_id != reward.pk:
                raise _refusal("key_conflict")
            return existing
        reward = (
            Reward.objects.select_related("segment").prefetch_related("tiers").get(pk=reward.pk)
        )
        reward_check_visible(member=member, reward=reward, account=account, now=now)
        if reward.is_physical and delivery is None:
            raise _refusal("delivery_missing")
        if reward.per_member_limit is not None:
            taken = (
                Redemption.objects.filter(member=member, reward=reward)
                .exclude(status=Redemption.Status.CANCELLED)
                .count()
            )
            if taken >= reward.per_member_limit:
                raise _refusal("over_limit", limit=reward.per_member_limit)
        if account is None or account.balance < reward.points_cost:
            raise _refusal(
                "too_few_points",
                needed=reward.points_cost,
                balance=account.balance if account else 0,
            )
        if reward.stock is not None:
            # A conditional UPDATE: under concurrency the row lock orders the writers and the
            # condition is checked again by each one, so stock never goes below zero.
            taken_one = Reward.objects.filter(pk=reward.pk, stock__gt=0).update(
                stock=F("stock") - 1
            )
            if not taken_one:
                raise _refusal("out_of_stock")
        entry = debit_locked(
            account=account,
            member=member,
            kind=PointsEntry.Kind.REDEEM,
            points=reward.points_cost,
            reason=REASON_REDEEMED,
            reason_params={"reward": _reward_names(reward)},
            key=f"redeem:{member.pk}:{key}",
            cause=Cause(label="redemption"),
            actor=actor,
            now=now,
        )
        valid_days = reward.voucher_valid_days
        redemption = Redemption.objects.create(
            member=member,
            reward=reward,
            points=reward.points_cost,
            voucher_code=voucher_code_generate(),
            voucher_valid_until=(
                timezone.localdate(now) + datetime.timedelta(days=valid_days)
                if valid_days
                else None
            ),
            idempotency_key=key,
            entry=entry,
            created_at=now,
            **_delivery_fields(reward, delivery),
        )
        _confirmation_email(redemption, member, delivery)
    return redemption


class _Outcome(NamedTuple):
    """One row of rewards_redeem(): what happened, and the redemption when there is one."""

    outcome: str
    redemption_id: int | None
    status: str | None
    points: int | None
    voucher_code: str | None
    voucher_valid_until: datetime.date | None
    created_at: datetime.datetime | None
    entry_id: int | None
    reward_id: int | None
    reward_name_sv: str | None
    reward_name_en: str | None
    detail: int | None
    valid_from: datetime.datetime | None


_REDEEMED = ("redeemed", "existing")  # the outcomes that come with a redemption
_REDEEM_SQL = (
    "SELECT * FROM rewards_redeem(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, "
    "%s, %s)"
)


def _reward_redeem_in_database(
    *, member: Member, reward_id: int, key: str, actor=None, delivery: Delivery | None = None
) -> Redemption:
    """reward_redeem as one call of rewards_redeem(). The function refuses before it writes
    anything; for a reward limited to a segment, or when some of the member's lots are past their
    date, it returns without writing and is called again once Python has checked the segment or
    expired those lots, in the same transaction (the account row stays locked)."""
    now = timezone.now()
    today = timezone.localdate(now)
    args = [
        member.pk,
        reward_id,
        key,
        f"redeem:{member.pk}:{key}",
        voucher_code_generate(),
        REASON_REDEEMED,
        getattr(actor, "pk", None),
        now,
        today,
    ]
    delivery_args = [
        delivery.method if delivery else "",
        delivery.name if delivery else "",
        delivery.address if delivery else "",
        delivery.postcode if delivery else "",
        delivery.city if delivery else "",
        delivery.store.pk if delivery and delivery.store else None,
    ]
    segment_ok: bool | None = None
    # No savepoint: the function refuses before it writes, so a refusal (raised once the block
    # is left) leaves the caller's transaction as it was. Only the expiry, which writes before
    # the function has said yes or no, is undone by a savepoint of its own on a refusal.
    with transaction.atomic(savepoint=False), connection.cursor() as cursor:

        def call(lots_expired: bool = False) -> _Outcome:
            cursor.execute(_REDEEM_SQL, [*args, segment_ok, lots_expired, *delivery_args])
            return _Outcome(*cursor.fetchone())

        row = call()
        if row.outcome == "needs_segment":
            assert row.detail is not None  # the reward's segment
            segment = Segment.objects.get(pk=row.detail)
            segment_ok = member_in_segment(member=member, segment=segment)
            row = call()
        if row.outcome == "needs_expiry":
            savepoint = transaction.savepoint()
            expire_due_locked(member_ids=[member.pk], today=today, now=now)
            row = call(lots_expired=True)
            if row.outcome in _REDEEMED:
                transaction.savepoint_commit(savepoint)
            else:
                transaction.savepoint_rollback(savepoint)
        redemption = _redemption_from(row, member=member, key=key, delivery=delivery)
        if redemption is not None and row.outcome == "redeemed":
            _confirmation_email(redemption, member, delivery)
    if redemption is None:
        raise _refusal_from(row)
    return redemption


def _redemption_from(
    row: _Outcome, *, member: Member, key: str, delivery: Delivery | None
) -> Redemption | None:
    if row.outcome not in _REDEEMED:
        return None
    reward = Reward.from_db(
        connection.alias,
        ["id", "name_sv", "name_en"],
        [row.reward_id, row.reward_name_sv, row.reward_name_en],
    )
    loaded: dict[str, Any] = {
        "id": row.redemption_id,
        "member_id": member.pk,
        "reward_id": row.reward_id,
        "status": row.status,
        "points": row.points,
        "voucher_code": row.voucher_code,
        "voucher_valid_until": row.voucher_valid_until,
        "idempotency_key": key,
        "entry_id": row.entry_id,
        "created_at": row.created_at,
    }
    # The function stores the delivery only for a product, and the reward's kind is not
    # returned: when a delivery was given, the stored one is read back (one query; the API's hot
    # path gives none). Otherwise the delivery fields stay deferred, loaded if ever used.
    if delivery is not None and row.redemption_id is not None:
        stored = Redemption.objects.filter(pk=row.redemption_id).values(
            "delivery",
            "delivery_name",
            "delivery_address",
            "delivery_postcode",
            "delivery_city",
            "pickup_store_id",
        )[0]
        loaded |= dict(stored)
    redemption = Redemption.from_db(connection.alias, list(loaded), list(loaded.values()))
    if delivery is not None and delivery.store is not None and redemption.pickup_store_id:
        redemption.pickup_store = delivery.store
    redemption.reward = reward
    redemption.member = member
    return redemption


def _refusal_from(row: _Outcome) -> Exception:
    """The exception for a row that is not a redemption: Reward.DoesNotExist, or the
    ValidationError that refuses it."""
    if row.outcome == "no_reward":
        return Reward.DoesNotExist("No such reward.")
    if row.outcome == "reward_not_yet":
        assert row.valid_from is not None
        return _refusal(row.outcome, date=timezone.localdate(row.valid_from).isoformat())
    if row.outcome == "over_limit":
        return _refusal(row.outcome, limit=row.detail)
    if row.outcome == "too_few_points":
        return _refusal(row.outcome, needed=row.points, balance=row.detail)
    if row.outcome in REFUSALS:
        return _refusal(row.outcome)
    raise RuntimeError(f"rewards_redeem() returned {row.outcome!r}.")


def redemption_cancel(
    *, redemption: Redemption, actor, request: HttpRequest | None = None, reason: str = ""
) -> Redemption:
    """Staff cancel a pending redemption: the points go back to the lots they came from (with a
    reversal entry), the stock goes back up, and the action is audited with the staff's reason
    (kept on the redemption too). Cancelling twice is a no-op; a fulfilled redemption cannot be
    cancelled."""
    reason = " ".join((reason or "").split())[:255]
    now = timezone.now()
    with transaction.atomic():
        member = Member.objects.get(pk=redemption.member_id)
        account = account_lock(member=member)
        assert account is not None
        current = (
            Redemption.objects.select_for_update(of=("self",))
            .select_related("reward", "entry")
            .get(pk=redemption.pk)
        )
        if current.status == Redemption.Status.CANCELLED:
            return current
        if current.status == Redemption.Status.FULFILLED:
            raise ValidationError(
                _("This redemption has been fulfilled and cannot be cancelled."),
                code="already_fulfilled",
            )
        credit_back_locked(
            account=account,
            entry=current.entry,
            reason=REASON_CANCELLED,
            reason_params={"reward": _reward_names(current.reward)},
            key=f"cancel:{current.pk}",
            actor=actor,
            now=now,
        )
        if current.reward.stock is not None:
            Reward.objects.filter(pk=current.reward_id).update(stock=F("stock") + 1)
        current.status = Redemption.Status.CANCELLED
        current.cancelled_at = now
        current.cancelled_by = actor
        current.cancel_reason = reason
        current.save(update_fields=["status", "cancelled_at", "cancelled_by", "cancel_reason"])
        audit_log(
            action="redemption.cancel",
            actor=actor,
            target=current,
            request=request,
            details={"member": member.pk, "points": current.points, "reason": reason},
        )
    return current


def redemption_fulfil(
    *, redemption: Redemption, actor=None, request: HttpRequest | None = None
) -> Redemption:
    """Mark a pending redemption as fulfilled (handed over, code used, donation made)."""
    with transaction.atomic():
        current = Redemption.objects.select_for_update().get(pk=redemption.pk)
        if current.status == Redemption.Status.PENDING:
            current.status = Redemption.Status.FULFILLED
            current.fulfilled_at = timezone.now()
            current.save(update_fields=["status", "fulfilled_at"])
            audit_log(action="redemption.fulfil", actor=actor, target=current, request=request)
        elif current.status == Redemption.Status.CANCELLED:
            raise ValidationError(
                _("A cancelled redemption cannot be fulfilled."), code="cancelled"
            )
    return current
