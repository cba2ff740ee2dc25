"""Demo data: the points members earned for their demo purchases, written set-based.

The demo purchases are bulk-inserted without running the purchase hooks (members/demo.py), so
this seeder gives every member who has no points account yet the ledger those purchases would
have produced: one earn entry and one lot per purchase (the seeded earning rules' rate for the
channel, whole points, expiring on 31 December of the REWARDS_POINTS_EXPIRY_YEARS-th year after),
a points account with the balance, and the tier their points of the last 12 months reach (with
the upgrade in the tier history). A handful of INSERT … SELECT statements, whatever the number
of purchases, on SQLite and PostgreSQL alike; `points_reconcile` is clean afterwards.

Seeded returns take their share of the purchase's points back as the live path does
(rewards.services.earning): a reversal entry drawn from the purchase's own lot, counting against
the tier points too. Simplification, for the demo only: tier multipliers are not applied to the
seeded purchases (a member's tier is only known once their points are).
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone

from core.seeding import SeedContext, demo_seeder
from members.models import Purchase

from .models import (
    EarningRule,
    PointsAccount,
    PointsEntry,
    PointsLot,
    PointsLotDraw,
    Tier,
    TierChange,
)
from .services.earning import REASON_PURCHASE, REASON_RETURN
from .services.tiers import one_year_after, rolling_start


def _rate(channel: str | None) -> Decimal:
    rules = EarningRule.objects.filter(is_active=True, store__isnull=True)
    rule = rules.filter(channel=channel).order_by("-points_per_sek").first() if channel else None
    rule = rule or rules.filter(channel="").order_by("-points_per_sek").first()
    return rule.points_per_sek if rule else Decimal(settings.REWARDS_DEFAULT_POINTS_PER_SEK)


def _sql(postgres: bool) -> dict[str, str]:
    """The vendor-specific bits: whole points, the JSON reason params, the expiry date."""
    if postgres:
        return {
            "points": "FLOOR(p.amount * (CASE WHEN p.channel = 'online' THEN %s ELSE %s END))",
            "params": "jsonb_build_object('amount', to_char(p.amount, 'FM999999990.00'), "
            "'currency', p.currency)",
            "key": "'purchase:' || p.id || ':earn'",
            "expires": (
                "make_date(EXTRACT(YEAR FROM e.created_at AT TIME ZONE %s)::int + %s, 12, 31)"
            ),
        }
    return {
        "points": (
            "CAST(p.amount * (CASE WHEN p.channel = 'online' THEN %s ELSE %s END) AS INTEGER)"
        ),
        "params": "json_object('amount', printf('%%.2f', p.amount), 'currency', p.currency)",
        "key": "'purchase:' || p.id || ':earn'",
        "expires": "(CAST(strftime('%%Y', e.created_at) AS INTEGER) + %s) || '-12-31'",
    }


@demo_seeder(order=62)
def seed_points(ctx: SeedContext) -> None:
    postgres = connection.vendor == "postgresql"
    sql = _sql(postgres)
    entries, lots, accounts = (
        PointsEntry._meta.db_table,
        PointsLot._meta.db_table,
        PointsAccount._meta.db_table,
    )
    purchases = Purchase._meta.db_table
    now = timezone.now()
    today = timezone.localdate(now)
    years = settings.REWARDS_POINTS_EXPIRY_YEARS
    content_type = ContentType.objects.get_for_model(Purchase)
    online, store = _rate("online"), _rate("store")
    max_points = settings.REWARDS_MAX_POINTS_PER_ENTRY

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {entries} (member_id, kind, amount, debt_change, qualifying, reason,
                reason_params, cause_type_id, cause_id, cause_label, idempotency_key, created_at)
            SELECT p.member_id, 'earn', pts, 0, pts, %s, params, %s, p.id, 'purchase', ikey,
                p.purchased_at
            FROM (
                SELECT p.*, LEAST_POINTS AS pts, {sql["params"]} AS params, {sql["key"]} AS ikey
                FROM {purchases} p
                WHERE p.original_id IS NULL AND p.amount > 0 AND p.currency = %s
                  AND NOT EXISTS (SELECT 1 FROM {accounts} a WHERE a.member_id = p.member_id)
            ) p
            WHERE pts > 0
            """.replace(  # noqa: S608 - table names from _meta, values bound
                "LEAST_POINTS",
                f"(CASE WHEN {sql['points']} > {int(max_points)} THEN {int(max_points)} "
                f"ELSE {sql['points']} END)",
            ),
            [
                REASON_PURCHASE,
                content_type.pk,
                online,
                store,
                online,
                store,
                settings.DEFAULT_CURRENCY,
            ],
        )
        earned = cursor.rowcount
        if years is None or years < 0:
            expires, expires_params = "NULL", []
        elif postgres:
            expires, expires_params = sql["expires"], [settings.TIME_ZONE, years]
        else:
            expires, expires_params = sql["expires"], [years]
        cursor.execute(
            f"""
            INSERT INTO {lots} (member_id, entry_id, amount, remaining, earned_at, expires_on)
            SELECT e.member_id, e.id, e.amount, e.amount, e.created_at, {expires}
            FROM {entries} e
            WHERE e.cause_label = 'purchase' AND e.kind = 'earn'
              AND NOT EXISTS (SELECT 1 FROM {accounts} a WHERE a.member_id = e.member_id)
            """,  # noqa: S608 - table names from _meta, values bound
            expires_params,
        )
        returned = _seed_returns(cursor, sql=sql, content_type_id=content_type.pk)
        since = rolling_start(now)
        cursor.execute(
            f"""
            INSERT INTO {accounts} (member_id, balance, debt, tier_id, tier_since,
                tier_review_on, tier_grace_until, updated_at)
            SELECT e.member_id, SUM(e.amount), 0, NULL, NULL, NULL, NULL, %s
            FROM {entries} e
            WHERE NOT EXISTS (SELECT 1 FROM {accounts} a WHERE a.member_id = e.member_id)
            GROUP BY e.member_id
            """,  # noqa: S608 - table names from _meta, values bound
            [now],
        )
        new_accounts = cursor.rowcount
        tiers = list(Tier.objects.order_by("-threshold"))
        earned_12m = "(SELECT COALESCE(SUM(e.qualifying), 0) FROM {} e {})".format(  # noqa: S608
            entries, f"WHERE e.member_id = {accounts}.member_id AND e.created_at >= %s"
        )
        # Highest threshold first: each account takes the first tier its points reach.
        for tier in tiers:
            cursor.execute(
                f"""
                UPDATE {accounts} SET tier_id = %s, tier_since = %s, tier_review_on = %s
                WHERE tier_id IS NULL AND updated_at = %s AND {earned_12m} >= %s
                """,  # noqa: S608 - table names from _meta, values bound
                [tier.pk, today, one_year_after(today), now, since, tier.threshold],
            )
        changes = TierChange._meta.db_table
        cursor.execute(
            f"""
            INSERT INTO {changes} (member_id, from_tier_id, to_tier_id, reason, points_12m,
                created_at)
            SELECT member_id, NULL, tier_id, %s, {earned_12m}, %s
            FROM {accounts}
            WHERE tier_id IS NOT NULL AND updated_at = %s
            """,  # noqa: S608 - table names from _meta, values bound
            [TierChange.Reason.UPGRADE, since, now, now],
        )
    ctx.out(
        f"Points: {earned} purchase earnings and {returned} returns taking points back, for "
        f"{new_accounts} members (tier multipliers not applied to demo purchases)."
    )


def _seed_returns(cursor, *, sql: dict[str, str], content_type_id: int) -> int:
    """Each seeded return (at most one per purchase) takes back its share of the purchase's
    points, rounded half up as rewards.services.earning does: a reversal entry, its draw from the
    purchase's lot and the lot's remaining points, in three statements. Only for members who have
    no account yet (the seeder's own new members)."""
    entries, lots, draws, accounts = (
        PointsEntry._meta.db_table,
        PointsLot._meta.db_table,
        PointsLotDraw._meta.db_table,
        PointsAccount._meta.db_table,
    )
    purchases = Purchase._meta.db_table
    # Half up in whole öre and integers, the same on PostgreSQL and SQLite (no float rounding).
    returned_ore = "CAST(ROUND((0 - p.amount) * 100) AS BIGINT)"
    original_ore = "CAST(ROUND(o.amount * 100) AS BIGINT)"
    share = (
        f"((2 * CAST(e.amount AS BIGINT) * {returned_ore} + {original_ore}) / (2 * {original_ore}))"
    )
    params = sql["params"].replace("p.amount", "(0 - p.amount)")
    cursor.execute(
        f"""
        INSERT INTO {entries} (member_id, kind, amount, debt_change, qualifying, reason,
            reason_params, cause_type_id, cause_id, cause_label, idempotency_key, created_at,
            reverses_id)
        SELECT r.member_id, 'reverse', 0 - r.pts, 0, 0 - r.pts, %s, r.params, %s, r.id,
            'return', 'purchase:' || r.id || ':return', r.purchased_at, r.earned_id
        FROM (
            SELECT p.*, {share} AS pts, {params} AS params, e.id AS earned_id
            FROM {purchases} p
            JOIN {purchases} o ON o.id = p.original_id
            JOIN {entries} e ON e.idempotency_key = 'purchase:' || o.id || ':earn'
            WHERE p.original_id IS NOT NULL AND p.amount < 0 AND o.amount > 0
              AND NOT EXISTS (SELECT 1 FROM {accounts} a WHERE a.member_id = p.member_id)
        ) r
        WHERE r.pts > 0
        """,  # noqa: S608 - table names from _meta, values bound
        [REASON_RETURN, content_type_id],
    )
    returned = cursor.rowcount
    cursor.execute(
        f"""
        INSERT INTO {draws} (entry_id, lot_id, amount)
        SELECT x.id, l.id, 0 - x.amount
        FROM {entries} x JOIN {lots} l ON l.entry_id = x.reverses_id
        WHERE x.kind = 'reverse' AND x.cause_label = 'return'
          AND NOT EXISTS (SELECT 1 FROM {accounts} a WHERE a.member_id = x.member_id)
        """,  # noqa: S608 - table names from _meta, values bound
    )
    cursor.execute(
        f"""
        UPDATE {lots} SET remaining = remaining - (
            SELECT SUM(d.amount) FROM {draws} d WHERE d.lot_id = {lots}.id)
        WHERE id IN (
            SELECT d.lot_id FROM {draws} d JOIN {entries} x ON x.id = d.entry_id
            WHERE x.kind = 'reverse' AND x.cause_label = 'return'
              AND NOT EXISTS (SELECT 1 FROM {accounts} a WHERE a.member_id = x.member_id))
        """,  # noqa: S608 - table names from _meta, values bound
    )
    return returned


@demo_seeder(order=63)
def seed_redemptions(ctx: SeedContext) -> None:
    """Some members have already chosen rewards (through the real service, so the ledger, stock
    and vouchers are right): a few handed over, a few cancelled, some vouchers left unused past
    their last day, so the staff's reward rates have something to show."""
    from members.models import Member

    from .models import Redemption, Reward
    from .services.redemptions import (
        Delivery,
        redemption_cancel,
        redemption_fulfil,
        reward_redeem,
    )

    staff = ctx.made.get("staff") or {}
    actor = staff.get("club_admin") or next(iter(staff.values()), None)
    rewards = list(Reward.objects.filter(is_active=True, tiers__isnull=True).order_by("pk"))
    count = min(300, max(ctx.members // 20, 10))
    member_ids = list(
        PointsAccount.objects.filter(balance__gte=2000, member__status=Member.Status.ACTIVE)
        .order_by("member_id")
        .values_list("member_id", flat=True)[:count]
    )
    made = 0
    for index, member in enumerate(
        Member.objects.filter(pk__in=member_ids).select_related("preferred_store").order_by("pk")
    ):
        reward = rewards[ctx.rng.randrange(len(rewards))]
        delivery = None
        if reward.is_physical:
            delivery = (
                Delivery(method="pickup", store=member.preferred_store)
                if member.preferred_store is not None and member.preferred_store.is_active
                else Delivery(
                    method="post",
                    name=member.full_name or member.email,
                    address=f"Storgatan {member.pk % 90 + 1}",
                    postcode=member.postcode or "111 22",
                    city=member.city or "Stockholm",
                )
            )
        try:
            redemption = reward_redeem(
                member=member,
                reward=reward,
                idempotency_key=f"demo:{member.pk}",
                delivery=delivery,
            )
        except ValidationError:
            continue  # out of stock, over the limit: as in real life
        made += 1
        if index % 3 == 0:
            redemption_fulfil(redemption=redemption)
        elif index % 11 == 0 and actor is not None:
            redemption_cancel(redemption=redemption, actor=actor)
        elif index % 5 == 0 and redemption.voucher_valid_until:
            Redemption.objects.filter(pk=redemption.pk).update(
                voucher_valid_until=timezone.localdate() - timedelta(days=3)
            )
    ctx.out(f"Redemptions: {made} made by demo members.")
