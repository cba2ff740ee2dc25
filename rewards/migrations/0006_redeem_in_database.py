"""`rewards_redeem()`: the redemption as one PostgreSQL function, for the API's hot path.

It is rewards.services.redemptions.reward_redeem_orm (the reference implementation) in one round
trip: the same order of checks, the same lock (the member's points account, FOR UPDATE), the same
conditional stock UPDATE, the same oldest-lot-first draws, the same rows. It never writes before it
refuses: every check comes first, and the stock UPDATE (the first write) is also the last check.
It hands two cases back to Python instead of doing them itself: a reward limited to a segment (the
segment's rules compile to a query only Python can build) and a member with lots past their date
(the expiry code lives in rewards.services.ledger.expire_due_locked); Python does its part and
calls again in the same transaction, with the account still locked.

On SQLite (the demo) the function does not exist and the ORM implementation is used. A change to
the tables it writes needs a new migration that replaces it; the tests run every redemption test
against both implementations, so a difference shows.
"""

from django.db import migrations

FUNCTION = r"""
CREATE OR REPLACE FUNCTION rewards_redeem(
    p_member_id bigint,
    p_reward_id bigint,
    p_key text,
    p_entry_key text,
    p_voucher_code text,
    p_reason text,
    p_actor_id bigint,
    p_now timestamptz,
    p_today date,
    p_segment_ok boolean,
    p_lots_expired boolean,
    OUT outcome text,
    OUT redemption_id bigint,
    OUT status text,
    OUT points integer,
    OUT voucher_code text,
    OUT voucher_valid_until date,
    OUT created_at timestamptz,
    OUT entry_id bigint,
    OUT reward_id bigint,
    OUT reward_name_sv text,
    OUT reward_name_en text,
    OUT detail bigint,
    OUT valid_from timestamptz
)
LANGUAGE plpgsql
AS $$
DECLARE
    v_has_account boolean;
    v_balance integer;
    v_tier_id bigint;
    v_member_status text;
    v_reward rewards_reward%ROWTYPE;
    v_taken integer;
    v_due integer;
    v_left integer;
    v_draw integer;
    v_lot record;
BEGIN
    SELECT a.balance, a.tier_id INTO v_balance, v_tier_id
      FROM rewards_pointsaccount a WHERE a.member_id = p_member_id FOR UPDATE;
    v_has_account := FOUND;

    SELECT r.id, r.status, r.points, r.voucher_code, r.voucher_valid_until, r.created_at,
           r.entry_id, r.reward_id
      INTO redemption_id, status, points, voucher_code, voucher_valid_until, created_at,
           entry_id, reward_id
      FROM rewards_redemption r
     WHERE r.member_id = p_member_id AND r.idempotency_key = p_key;
    IF FOUND THEN
        IF reward_id <> p_reward_id THEN
            outcome := 'key_conflict';
            RETURN;
        END IF;
        SELECT w.name_sv, w.name_en INTO reward_name_sv, reward_name_en
          FROM rewards_reward w WHERE w.id = reward_id;
        outcome := 'existing';
        RETURN;
    END IF;

    SELECT * INTO v_reward FROM rewards_reward w WHERE w.id = p_reward_id;
    IF NOT FOUND THEN
        outcome := 'no_reward';
        RETURN;
    END IF;
    reward_id := v_reward.id;
    reward_name_sv := v_reward.name_sv;
    reward_name_en := v_reward.name_en;

    SELECT m.status INTO v_member_status FROM members_member m WHERE m.id = p_member_id;
    IF v_member_status IS DISTINCT FROM 'active' THEN
        outcome := 'member_not_active';
        RETURN;
    END IF;
    IF NOT v_reward.is_active OR v_reward.valid_until <= p_now THEN
        outcome := 'reward_expired';
        RETURN;
    END IF;
    IF v_reward.valid_from > p_now THEN
        outcome := 'reward_not_yet';
        valid_from := v_reward.valid_from;
        RETURN;
    END IF;
    -- Without an account v_tier_id is NULL and matches no tier.
    IF EXISTS (SELECT 1 FROM rewards_reward_tiers t WHERE t.reward_id = p_reward_id)
       AND NOT EXISTS (SELECT 1 FROM rewards_reward_tiers t
                        WHERE t.reward_id = p_reward_id AND t.tier_id = v_tier_id)
    THEN
        outcome := 'wrong_tier';
        RETURN;
    END IF;
    IF v_reward.segment_id IS NOT NULL AND p_segment_ok IS NOT TRUE THEN
        outcome := CASE WHEN p_segment_ok IS NULL THEN 'needs_segment' ELSE 'not_in_segment' END;
        detail := v_reward.segment_id;
        RETURN;
    END IF;
    IF v_reward.per_member_limit IS NOT NULL THEN
        SELECT count(*) INTO v_taken FROM rewards_redemption r
         WHERE r.member_id = p_member_id AND r.reward_id = p_reward_id
           AND r.status <> 'cancelled';
        IF v_taken >= v_reward.per_member_limit THEN
            outcome := 'over_limit';
            detail := v_reward.per_member_limit;
            RETURN;
        END IF;
    END IF;
    IF NOT v_has_account OR v_balance < v_reward.points_cost THEN
        outcome := 'too_few_points';
        points := v_reward.points_cost;
        detail := coalesce(v_balance, 0);
        RETURN;
    END IF;
    IF NOT p_lots_expired THEN
        SELECT count(*) INTO v_due FROM rewards_pointslot l
         WHERE l.member_id = p_member_id AND l.remaining > 0 AND l.expires_on < p_today;
        IF v_due > 0 THEN
            outcome := 'needs_expiry';
            RETURN;
        END IF;
    END IF;

    -- Every check passed. The stock UPDATE is the first write and the last check.
    IF v_reward.stock IS NOT NULL THEN
        UPDATE rewards_reward w SET stock = w.stock - 1 WHERE w.id = p_reward_id AND w.stock > 0;
        IF NOT FOUND THEN
            outcome := 'out_of_stock';
            RETURN;
        END IF;
    END IF;

    INSERT INTO rewards_pointsentry (
        member_id, kind, amount, debt_change, qualifying, reason, reason_params, cause_type_id,
        cause_id, cause_label, reverses_id, actor_id, idempotency_key, created_at)
    VALUES (
        p_member_id, 'redeem', -v_reward.points_cost, 0, 0, p_reason,
        jsonb_build_object('reward', jsonb_build_object(
            'sv', coalesce(nullif(v_reward.name_sv, ''), v_reward.name_en),
            'en', coalesce(nullif(v_reward.name_en, ''), v_reward.name_sv))),
        NULL, NULL, 'redemption', NULL, p_actor_id, p_entry_key, p_now)
    RETURNING id INTO entry_id;

    v_left := v_reward.points_cost;
    FOR v_lot IN
        SELECT l.id, l.remaining FROM rewards_pointslot l
         WHERE l.member_id = p_member_id AND l.remaining > 0
         ORDER BY l.expires_on ASC NULLS LAST, l.earned_at, l.id
           FOR UPDATE
    LOOP
        v_draw := least(v_lot.remaining, v_left);
        UPDATE rewards_pointslot SET remaining = remaining - v_draw WHERE id = v_lot.id;
        INSERT INTO rewards_pointslotdraw (entry_id, lot_id, amount)
        VALUES (entry_id, v_lot.id, v_draw);
        v_left := v_left - v_draw;
        EXIT WHEN v_left = 0;
    END LOOP;
    IF v_left > 0 THEN
        RAISE EXCEPTION 'Lots of member % hold less than the balance; reconcile.', p_member_id;
    END IF;

    UPDATE rewards_pointsaccount a
       SET balance = a.balance - v_reward.points_cost, updated_at = p_now
     WHERE a.member_id = p_member_id;

    status := 'pending';
    points := v_reward.points_cost;
    voucher_code := p_voucher_code;
    voucher_valid_until := CASE WHEN v_reward.voucher_valid_days > 0
                                THEN p_today + v_reward.voucher_valid_days END;
    created_at := p_now;
    INSERT INTO rewards_redemption (
        member_id, reward_id, status, points, voucher_code, voucher_valid_until,
        idempotency_key, entry_id, created_at, fulfilled_at, cancelled_at, cancelled_by_id)
    VALUES (
        p_member_id, p_reward_id, status, points, voucher_code, voucher_valid_until,
        p_key, entry_id, p_now, NULL, NULL, NULL)
    RETURNING id INTO redemption_id;
    outcome := 'redeemed';
END;
$$;
"""

DROP = "DROP FUNCTION IF EXISTS rewards_redeem(bigint, bigint, text, text, text, text, bigint, timestamptz, date, boolean, boolean);"


def create_function(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FUNCTION, params=None)


def drop_function(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("rewards", "0005_merge_earning_gamification")]

    operations = [migrations.RunPython(create_function, drop_function, elidable=False)]
