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
transaction that records the purchase; `points_earn_for_purchases(*, purchases)` is its batch
variant (purchase ingestion), set-based with the same result for every purchase."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from typing import cast

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.models import Exists, F, Field, OuterRef, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext_noop

from core.db import insert_rows
from members.models import Member, Purchase
from members.selectors.segments import segment_members
from rewards.models import (
    BonusPeriod,
    EarningRule,
    PointsAccount,
    PointsEntry,
    PointsLot,
    Tier,
    TierChange,
    default_expiry,
)

from .activities import points_earn_for_referral
from .ledger import (
    Cause,
    account_lock,
    credit_locked,
    debit_locked,
    entry_existing,
    reversed_points,
)
from .tiers import one_year_after, rolling_start, tier_upgrade_locked

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
    return _points_at_rate(purchase, rate=rate, multiplier=multiplier)


def _points_at_rate(purchase: Purchase, *, rate: Decimal, multiplier: Decimal) -> int:
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


# --- Batches ---------------------------------------------------------------------------------


@dataclass
class _MemberState:
    """A member's account as the batch moves it (the account row is locked)."""

    account: PointsAccount
    qualifying: int  # points earned in the rolling year, for tier upgrades
    touched: bool = False


def _rules_for(rules: list[EarningRule], purchase: Purchase) -> EarningRule | None:
    """earning_rule_for_purchase over rules already loaded (same filter, same order)."""
    moment = purchase.purchased_at
    matching = [
        rule
        for rule in rules
        if (rule.valid_from is None or rule.valid_from <= moment)
        and (rule.valid_until is None or rule.valid_until > moment)
        and (rule.store_id is None or rule.store_id == purchase.store_id)
        and (rule.channel == "" or rule.channel == purchase.channel)
    ]
    matching.sort(
        key=lambda rule: (rule.store_id is None, rule.channel == "", -rule.points_per_sek, rule.pk)
    )
    return matching[0] if matching else None


def _bonus_for(bonuses: list[BonusPeriod], purchase: Purchase) -> BonusPeriod | bool | None:
    """bonus_period_for_purchase over bonuses already loaded (ordered by -multiplier, pk):
    the bonus, None, or False when the best candidate depends on a segment (then the
    purchase is earned one by one, which checks the member's segments at that moment)."""
    moment = purchase.purchased_at
    for bonus in bonuses:
        if not (
            bonus.starts_at <= moment < bonus.ends_at
            and (bonus.store_id is None or bonus.store_id == purchase.store_id)
            and (bonus.channel == "" or bonus.channel == purchase.channel)
        ):
            continue
        return bonus if bonus.segment_id is None else False
    return None


def _states_load(member_ids: Iterable[int], *, now) -> dict[int, _MemberState]:
    """Lock the members' accounts (created when missing) in member order, one statement, and
    read the points each earned in the rolling year, one more."""
    ids = sorted(set(member_ids))
    if not ids:
        return {}
    known = set(PointsAccount.objects.filter(member_id__in=ids).values_list("member_id", flat=True))
    if len(known) < len(ids):
        PointsAccount.objects.bulk_create(
            [PointsAccount(member_id=pk) for pk in ids if pk not in known], ignore_conflicts=True
        )
    accounts = list(
        PointsAccount.objects.select_for_update().filter(member_id__in=ids).order_by("member_id")
    )
    # The tier is looked up by id, not joined: a row another transaction updated while this one
    # waited for its lock comes back as it is now, but a joined row would be the one read
    # before the wait (PostgreSQL re-reads only the locked table), i.e. the tier before an
    # upgrade that the other transaction made.
    tiers = {tier.pk: tier for tier in Tier.objects.all()}
    for account in accounts:
        account.tier = tiers.get(account.tier_id) if account.tier_id else None
    qualifying = dict(
        PointsEntry.objects.filter(member_id__in=ids, created_at__gte=rolling_start(now))
        .order_by()
        .values("member_id")
        .annotate(total=Sum("qualifying"))
        .values_list("member_id", "total")
    )
    return {
        account.member_id: _MemberState(
            account=account, qualifying=qualifying.get(account.member_id) or 0
        )
        for account in accounts
    }


def points_earn_for_purchases(*, purchases: Sequence[Purchase]) -> None:
    """Earn points for purchases a batch has just recorded, in their order, with the result
    points_earn_for_purchase would give each one by one (rule, tier multiplier as the member's
    tier moves up during the batch, bonus, debt paid off first, tier upgrades), in a handful of
    statements: lock every buyer's account at once (member order), read the rules, bonuses,
    tiers and each member's rolling-year points once, then insert the entries, lots and tier
    changes and update the accounts in bulk. A purchase whose result depends on more than that
    (a return, a referred member's purchase, a bonus limited to a segment) is earned one by one
    in its place, after the pending writes are flushed."""
    purchases = [purchase for purchase in purchases if purchase.pk is not None]
    if not purchases:
        return
    now = timezone.now()
    today = timezone.localdate(now)
    members = {
        member.pk: member
        for member in Member.objects.filter(pk__in={p.member_id for p in purchases}).only(
            "pk", "status", "referred_by_id"
        )
    }
    active = {pk for pk, member in members.items() if member.status != Member.Status.ERASED}
    referrers = set(
        Member.objects.filter(
            pk__in={members[pk].referred_by_id for pk in active if members[pk].referred_by_id}
        )
        .exclude(status=Member.Status.ERASED)
        .values_list("pk", flat=True)
    )
    states = _states_load(active | referrers, now=now)
    done = set(
        PointsEntry.objects.filter(
            idempotency_key__in=[earn_key(p) for p in purchases if p.member_id in active]
        ).values_list("idempotency_key", flat=True)
    )
    moments = [p.purchased_at for p in purchases]
    rules = list(EarningRule.objects.filter(is_active=True))
    bonuses = list(
        BonusPeriod.objects.filter(
            is_active=True, starts_at__lte=max(moments), ends_at__gt=min(moments)
        ).order_by("-multiplier", "pk")
    )
    tiers = list(Tier.objects.order_by("-threshold"))
    default_rate = Decimal(settings.REWARDS_DEFAULT_POINTS_PER_SEK)
    purchase_type = ContentType.objects.get_for_model(Purchase)
    expires_on = default_expiry(today)
    entries: list[tuple] = []
    changes: list[TierChange] = []

    def flush() -> None:
        ids = insert_rows(PointsEntry, _ENTRY_COLUMNS, entries, returning=("id",))
        insert_rows(
            PointsLot,
            ("member", "entry", "amount", "remaining", "earned_at", "expires_on"),
            [
                (entry[0], entry_id, entry[2], entry[2], now, expires_on)
                for entry, (entry_id,) in zip(entries, ids, strict=True)
                if entry[2]
            ],
        )
        TierChange.objects.bulk_create(changes)
        _accounts_write([state.account for state in states.values() if state.touched], now=now)
        for state in states.values():
            state.touched = False
        entries.clear()
        changes.clear()

    for purchase in purchases:
        member = members[purchase.member_id]
        if purchase.member_id not in active or earn_key(purchase) in done:
            continue
        bonus = _bonus_for(bonuses, purchase)
        referred = member.referred_by_id is not None and member.referred_by_id != member.pk
        if purchase.is_return or referred or bonus is False:
            flush()
            points_earn_for_purchase(purchase=purchase)
            reload = [member.pk, *([member.referred_by_id] if member.referred_by_id else [])]
            states.update(_states_reread([pk for pk in reload if pk in states], now=now))
            continue
        assert not isinstance(bonus, bool)  # False was sent one by one above
        state = states[purchase.member_id]
        account = state.account
        multiplier = account.tier.multiplier if account.tier is not None else Decimal(1)
        if bonus is not None:
            multiplier *= bonus.multiplier
        if purchase.amount <= 0 or purchase.currency != settings.DEFAULT_CURRENCY:
            points = 0
        else:
            rule = _rules_for(rules, purchase)
            rate = rule.points_per_sek if rule is not None else default_rate
            points = _points_at_rate(purchase, rate=rate, multiplier=multiplier)
        if points <= 0:
            if purchase.currency != settings.DEFAULT_CURRENCY:
                logger.info("No points for purchase %s in %s", purchase.pk, purchase.currency)
            continue
        paid = min(account.debt, points)
        net = points - paid
        entries.append(
            (
                purchase.member_id,
                PointsEntry.Kind.EARN,
                net,
                -paid,
                points,
                REASON_PURCHASE if bonus is None else REASON_PURCHASE_BONUS,
                _purchase_params(purchase)
                if bonus is None
                else {
                    **_purchase_params(purchase),
                    "bonus": bonus.name,
                    "multiplier": f"{bonus.multiplier.normalize():f}",
                },
                earn_key(purchase),
                now,
                "purchase",
                purchase_type.pk,
                purchase.pk,
            )
        )
        account.balance += net
        account.debt -= paid
        state.qualifying += points
        state.touched = True
        target = next((tier for tier in tiers if tier.threshold <= state.qualifying), None)
        current = account.tier
        if target is not None and (current is None or target.threshold > current.threshold):
            changes.append(
                TierChange(
                    member_id=account.member_id,
                    from_tier=current,
                    to_tier=target,
                    reason=TierChange.Reason.UPGRADE,
                    points_12m=state.qualifying,
                    created_at=now,
                )
            )
            account.tier = target
            account.tier_since = today
            account.tier_review_on = one_year_after(today)
            account.tier_grace_until = None
    flush()


_ENTRY_COLUMNS = (
    "member",
    "kind",
    "amount",
    "debt_change",
    "qualifying",
    "reason",
    "reason_params",
    "idempotency_key",
    "created_at",
    "cause_label",
    "cause_type",
    "cause_id",
)
_ACCOUNT_FIELDS = ("balance", "debt", "tier", "tier_since", "tier_review_on", "tier_grace_until")


def _accounts_write(accounts: list[PointsAccount], *, now) -> None:
    """Write the accounts' balances, debts and tiers (their rows are locked): on PostgreSQL one
    UPDATE … FROM UNNEST(one array per column), whose cost grows with the rows, not with their
    square as the CASE expressions of bulk_update do."""
    if not accounts:
        return
    for account in accounts:
        account.updated_at = now
    connection = connections[DEFAULT_DB_ALIAS]  # the connection itself, not the proxy per value
    if connection.vendor != "postgresql":
        PointsAccount.objects.bulk_update(accounts, [*_ACCOUNT_FIELDS, "updated_at"])
        return
    quote = connection.ops.quote_name
    fields: list[Field] = [
        cast(Field, PointsAccount._meta.pk),
        *(cast(Field, PointsAccount._meta.get_field(name)) for name in _ACCOUNT_FIELDS),
    ]
    types = [field.rel_db_type(connection) if field.is_relation else field.db_type(connection)
             for field in fields]  # fmt: skip
    columns = [
        [field.get_db_prep_save(getattr(account, field.attname), connection=connection)
         for account in accounts]
        for field in fields
    ]  # fmt: skip
    names = [quote(field.column or field.name) for field in fields]
    assignments = ", ".join(f"{name} = v.{name}" for name in names[1:])
    arrays = ", ".join(f"%s::{db_type}[]" for db_type in types)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {quote(PointsAccount._meta.db_table)} AS a SET {assignments}, "  # noqa: S608 - names from _meta, values bound
            f"{quote('updated_at')} = %s "
            f"FROM UNNEST({arrays}) AS v({', '.join(names)}) "
            f"WHERE a.{names[0]} = v.{names[0]}",
            [now, *columns],
        )


def _states_reread(member_ids: list[int], *, now) -> dict[int, _MemberState]:
    """The states of members whose accounts a one-by-one earning moved (locks already held)."""
    if not member_ids:
        return {}
    return _states_load(member_ids, now=now)
