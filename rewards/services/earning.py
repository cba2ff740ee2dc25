"""Points for purchases: the most specific earning rule (store, then channel, then general) times
the member's tier multiplier, floored to whole points. A return takes back its share of what the
original purchase earned, from that purchase's lot first; what the member has already spent
becomes debt that later earnings pay off.

`points_earn_for_purchase(*, purchase)` is registered with members.hooks and runs inside the
transaction that records the purchase."""

from __future__ import annotations

import logging
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_noop

from members.models import Member, Purchase
from rewards.models import EarningRule, PointsEntry, PointsLot

from .ledger import (
    Cause,
    account_lock,
    credit_locked,
    debit_locked,
    entry_existing,
    reversed_points,
)
from .tiers import tier_upgrade_locked

logger = logging.getLogger(__name__)

REASON_PURCHASE = gettext_noop("Purchase of %(amount)s %(currency)s")
REASON_RETURN = gettext_noop("Return of %(amount)s %(currency)s")


def earning_rule_for_purchase(*, purchase: Purchase) -> EarningRule | None:
    moment = purchase.purchased_at
    return (
        EarningRule.objects.filter(
            Q(is_active=True),
            Q(valid_from__isnull=True) | Q(valid_from__lte=moment),
            Q(valid_until__isnull=True) | Q(valid_until__gt=moment),
            Q(store__isnull=True) | Q(store_id=purchase.store_id),
            Q(channel="") | Q(channel=purchase.channel),
        )
        .order_by(F("store_id").asc(nulls_last=True), "-channel", "-points_per_sek", "pk")
        .first()
    )


def points_for_purchase(*, purchase: Purchase, multiplier: Decimal = Decimal(1)) -> int:
    """Whole points a purchase earns (0 for returns and other currencies than the default)."""
    if purchase.is_return or purchase.amount <= 0:
        return 0
    if purchase.currency != settings.DEFAULT_CURRENCY:
        return 0
    rule = earning_rule_for_purchase(purchase=purchase)
    rate = (
        rule.points_per_sek
        if rule is not None
        else Decimal(settings.REWARDS_DEFAULT_POINTS_PER_SEK)
    )
    points = (purchase.amount * rate * multiplier).quantize(Decimal(1), rounding=ROUND_DOWN)
    return min(int(points), settings.REWARDS_MAX_POINTS_PER_ENTRY)


def _purchase_params(purchase: Purchase) -> dict:
    return {"amount": f"{abs(purchase.amount):.2f}", "currency": purchase.currency}


def earn_key(purchase: Purchase) -> str:
    return f"purchase:{purchase.pk}:earn"


def points_earn_for_purchase(*, purchase: Purchase) -> PointsEntry | None:
    """Earn points for a recorded purchase, or take them back for a return. Idempotent per
    purchase. Erased members, other currencies and purchases worth nothing earn nothing."""
    if purchase.pk is None:
        raise ValueError("The purchase must be saved first.")
    member = Member.objects.get(pk=purchase.member_id)
    if member.status == Member.Status.ERASED:
        return None
    if purchase.is_return:
        return _points_take_back_for_return(purchase=purchase, member=member)
    now = timezone.now()
    with transaction.atomic():
        account = account_lock(member=member)
        assert account is not None
        existing = entry_existing(member=member, key=earn_key(purchase))
        if existing is not None:
            return existing
        multiplier = account.tier.multiplier if account.tier is not None else Decimal(1)
        points = points_for_purchase(purchase=purchase, multiplier=multiplier)
        if points <= 0:
            if purchase.currency != settings.DEFAULT_CURRENCY:
                logger.info("No points for purchase %s in %s", purchase.pk, purchase.currency)
            return None
        entry = credit_locked(
            account=account,
            member=member,
            kind=PointsEntry.Kind.EARN,
            points=points,
            reason=REASON_PURCHASE,
            reason_params=_purchase_params(purchase),
            key=earn_key(purchase),
            cause=Cause(label="purchase", obj=purchase),
            qualifying=points,
            now=now,
        )
        tier_upgrade_locked(account=account, now=now)
    return entry


def _points_take_back_for_return(*, purchase: Purchase, member: Member) -> PointsEntry | None:
    assert purchase.original_id is not None
    original = Purchase.objects.get(pk=purchase.original_id)
    key = f"purchase:{purchase.pk}:return"
    now = timezone.now()
    with transaction.atomic():
        account = account_lock(member=member)
        assert account is not None
        existing = entry_existing(member=member, key=key)
        if existing is not None:
            return existing
        earned = PointsEntry.objects.filter(idempotency_key=earn_key(original)).first()
        if earned is None or original.amount <= 0:
            return None
        gross = earned.amount - earned.debt_change
        share = (Decimal(gross) * abs(purchase.amount) / original.amount).quantize(
            Decimal(1), rounding=ROUND_HALF_UP
        )
        points = min(int(share), gross - reversed_points(entry=earned))
        if points <= 0:
            return None
        return debit_locked(
            account=account,
            member=member,
            kind=PointsEntry.Kind.REVERSE,
            points=points,
            reason=REASON_RETURN,
            reason_params=_purchase_params(purchase),
            key=key,
            cause=Cause(label="return", obj=purchase),
            qualifying=-points,
            allow_debt=True,
            prefer_lot_id=PointsLot.objects.filter(entry=earned)
            .values_list("pk", flat=True)
            .first(),
            reverses=earned,
            now=now,
        )
