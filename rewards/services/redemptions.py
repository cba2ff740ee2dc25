"""Redeeming rewards: one service, one transaction. Eligibility, limits, stock, the oldest-lot-
first debit, the redemption with its voucher code and the confirmation e-mail (queued after
commit) all happen together or not at all. Cancelling returns the points and the stock."""

from __future__ import annotations

import datetime
import secrets
from typing import Any

from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import F
from django.http import HttpRequest
from django.utils import timezone, translation
from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext_lazy as _

from core.email import email_send_later
from core.services import audit_log
from members.models import Member
from rewards.models import PointsAccount, PointsEntry, Redemption, Reward
from rewards.targeting import member_in_segment

from .ledger import Cause, account_lock, clean_key, credit_back_locked, debit_locked

VOUCHER_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I
VOUCHER_LENGTH = 10
REASON_REDEEMED = gettext_noop("Redeemed: %(reward)s")
REASON_CANCELLED = gettext_noop("Redemption cancelled: %(reward)s")


def voucher_code_generate() -> str:
    return "".join(secrets.choice(VOUCHER_ALPHABET) for _i in range(VOUCHER_LENGTH))


def _reward_names(reward: Reward) -> dict[str, str]:
    return {"sv": reward.name_sv or reward.name_en, "en": reward.name_en or reward.name_sv}


def reward_check_visible(
    *, member: Member, reward: Reward, account: PointsAccount | None, now: datetime.datetime
) -> None:
    """Raise ValidationError (with a message for the member) unless `member` may redeem `reward`
    now, apart from their points and the stock."""
    if member.status != Member.Status.ACTIVE:
        raise ValidationError(
            _("Only active members can redeem rewards."), code="member_not_active"
        )
    if not reward.is_active or (reward.valid_until is not None and reward.valid_until <= now):
        raise ValidationError(_("This reward is no longer available."), code="reward_expired")
    if reward.valid_from is not None and reward.valid_from > now:
        raise ValidationError(
            _("This reward can be redeemed from %(date)s."),
            code="reward_not_yet",
            params={"date": timezone.localdate(reward.valid_from).isoformat()},
        )
    tier_ids = {tier.pk for tier in reward.tiers.all()}
    if tier_ids and (account is None or account.tier_id not in tier_ids):
        raise ValidationError(_("This reward is not for your tier."), code="wrong_tier")
    if reward.segment is not None and not member_in_segment(member=member, segment=reward.segment):
        raise ValidationError(_("This reward is offered to other members."), code="not_in_segment")


def _confirmation_email(redemption: Redemption, member: Member) -> None:
    if not member.email:
        return
    with translation.override(member.language):
        reward = redemption.reward
        lines = [
            gettext("Thank you! You have chosen %(reward)s for %(points)d points.")
            % {"reward": reward.name, "points": redemption.points},
            gettext("Your code: %(code)s") % {"code": redemption.voucher_code},
        ]
        if redemption.voucher_valid_until:
            lines.append(
                gettext("Valid until %(date)s.")
                % {"date": redemption.voucher_valid_until.isoformat()}
            )
        message = EmailMessage(
            subject=gettext("Your reward: %(reward)s") % {"reward": reward.name},
            body="\n\n".join(lines) + "\n",
            to=[member.email],
        )
    email_send_later(message)


def reward_redeem(
    *, member: Member, reward: Reward, idempotency_key: Any, actor=None
) -> Redemption:
    """`member` spends points on `reward`. Once per idempotency key: a repeated key returns the
    first redemption, unchanged. Refusals (not eligible, over the limit, too few points, out of
    stock) raise ValidationError with a message for the member and write nothing. The reward is
    read afresh inside the transaction (only `reward.pk` is used): Reward.DoesNotExist when it
    is gone."""
    key = clean_key(idempotency_key)
    if not isinstance(member, Member) or member.pk is None:
        raise TypeError("member must be a saved members.Member.")
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
                raise ValidationError(
                    _("This idempotency key was already used for another reward."),
                    code="key_conflict",
                )
            return existing
        reward = (
            Reward.objects.select_related("segment").prefetch_related("tiers").get(pk=reward.pk)
        )
        reward_check_visible(member=member, reward=reward, account=account, now=now)
        if reward.per_member_limit is not None:
            taken = (
                Redemption.objects.filter(member=member, reward=reward)
                .exclude(status=Redemption.Status.CANCELLED)
                .count()
            )
            if taken >= reward.per_member_limit:
                raise ValidationError(
                    _("You have already redeemed this reward the most times allowed (%(limit)d)."),
                    code="over_limit",
                    params={"limit": reward.per_member_limit},
                )
        if account is None or account.balance < reward.points_cost:
            raise ValidationError(
                _("Not enough points: %(needed)d needed, %(balance)d available."),
                code="too_few_points",
                params={
                    "needed": reward.points_cost,
                    "balance": account.balance if account else 0,
                },
            )
        if reward.stock is not None:
            # A conditional UPDATE: under concurrency the row lock orders the writers and the
            # condition is checked again by each one, so stock never goes below zero.
            taken_one = Reward.objects.filter(pk=reward.pk, stock__gt=0).update(
                stock=F("stock") - 1
            )
            if not taken_one:
                raise ValidationError(_("This reward is out of stock."), code="out_of_stock")
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
        )
        _confirmation_email(redemption, member)
    return redemption


def redemption_cancel(
    *, redemption: Redemption, actor, request: HttpRequest | None = None
) -> Redemption:
    """Staff cancel a pending redemption: the points go back to the lots they came from (with a
    reversal entry), the stock goes back up, and the action is audited. Cancelling twice is a
    no-op; a fulfilled redemption cannot be cancelled."""
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
        current.save(update_fields=["status", "cancelled_at", "cancelled_by"])
        audit_log(
            action="redemption.cancel",
            actor=actor,
            target=current,
            request=request,
            details={"member": member.pk, "points": current.points},
        )
    return current


def redemption_fulfil(*, redemption: Redemption, actor=None) -> Redemption:
    """Mark a pending redemption as fulfilled (handed over, code used, donation made)."""
    with transaction.atomic():
        current = Redemption.objects.select_for_update().get(pk=redemption.pk)
        if current.status == Redemption.Status.PENDING:
            current.status = Redemption.Status.FULFILLED
            current.fulfilled_at = timezone.now()
            current.save(update_fields=["status", "fulfilled_at"])
            audit_log(action="redemption.fulfil", actor=actor, target=current)
        elif current.status == Redemption.Status.CANCELLED:
            raise ValidationError(
                _("A cancelled redemption cannot be fulfilled."), code="cancelled"
            )
    return current
