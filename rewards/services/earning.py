"""Points for purchases: the most specific earning rule (store, then channel, then general) times
the member's tier multiplier, floored to whole points. A return takes back its share of what the
original purchase earned, from that purchase's lot first; what the member has already spent
becomes debt that later earnings pay off.

Bonus periods: a purchase inside an active BonusPeriod (matching its channel/store, by a member
of its segment or for everyone) earns base points times the highest bonus multiplier that
applies (bonuses are not compounded); the tier multiplier applies on top. The member's segment
membership is checked for every candidate bonus in one query.

Referrals: a member who signed up with another member's referral link (Member.referred_by)
makes the referrer earn the referral_purchase activity rule on their first purchase.

`points_earn_for_purchase(*, purchase)` is registered with members.hooks and runs inside the
transaction that records the purchase."""

from __future__ import annotations

import logging
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext_noop

from members.models import Member, Purchase
from members.selectors.segments import segment_members
from rewards.models import BonusPeriod, EarningRule, PointsEntry, PointsLot

from .activities import points_earn_for_referral
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
REASON_PURCHASE_BONUS = gettext_noop(
    "Purchase of %(amount)s %(currency)s (%(bonus)s ×%(multiplier)s)"
)


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


def bonus_period_for_purchase(*, purchase: Purchase, member: Member) -> BonusPeriod | None:
    """The bonus period with the highest multiplier that applies to `purchase` by `member`, or
    None. Two queries at most: the candidate bonuses, then the member's membership of all their
    segments at once (a malformed segment counts as not matching)."""
    moment = purchase.purchased_at
    candidates = list(
        BonusPeriod.objects.filter(
            Q(is_active=True),
            Q(starts_at__lte=moment),
            Q(ends_at__gt=moment),
            Q(store__isnull=True) | Q(store_id=purchase.store_id),
            Q(channel="") | Q(channel=purchase.channel),
        )
        .select_related("segment")
        .order_by("-multiplier", "pk")
    )
    if not candidates:
        return None
    checks = {}
    for bonus in candidates:
        if bonus.segment is None:
            continue
        try:
            members = segment_members(rules=bonus.segment.rules, now=moment)
        except ValidationError:
            logger.warning("Bonus period %s has a malformed segment", bonus.pk)
            continue
        checks[f"in_bonus_{bonus.pk}"] = Exists(members.filter(pk=OuterRef("pk")))
    flags = (
        Member.objects.filter(pk=member.pk).annotate(**checks).values(*checks).first() or {}
        if checks
        else {}
    )
    for bonus in candidates:
        if bonus.segment is None or flags.get(f"in_bonus_{bonus.pk}"):
            return bonus
    return None


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
        if member.referred_by_id and member.referred_by_id < member.pk:
            # The referrer may earn below too: take the two account locks in member order, as
            # every other path does, so two members who referred each other cannot deadlock.
            referrer = Member.objects.filter(pk=member.referred_by_id).first()
            if referrer is not None and referrer.status != Member.Status.ERASED:
                account_lock(member=referrer)
        account = account_lock(member=member)
        assert account is not None
        existing = entry_existing(member=member, key=earn_key(purchase))
        if existing is not None:
            return existing
        # The friend who referred this member earns on the member's first purchase.
        points_earn_for_referral(purchase=purchase)
        multiplier = account.tier.multiplier if account.tier is not None else Decimal(1)
        bonus = bonus_period_for_purchase(purchase=purchase, member=member)
        if bonus is not None:
            multiplier *= bonus.multiplier
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
            reason=REASON_PURCHASE if bonus is None else REASON_PURCHASE_BONUS,
            reason_params=_purchase_params(purchase)
            if bonus is None
            else {
                **_purchase_params(purchase),
                "bonus": bonus.name,
                "multiplier": f"{bonus.multiplier.normalize():f}",
            },
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
