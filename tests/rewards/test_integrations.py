"""What rewards adds to members' registries: segment fields, timeline entries, the GDPR export."""

from __future__ import annotations

import datetime
import io
import zipfile

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from members.selectors.segments import segment_members
from members.selectors.timeline import member_timeline
from members.services.gdpr import member_export_zip
from rewards.models import PointsAccount, PointsEntry, TierChange
from rewards.services.ledger import points_award
from rewards.services.redemptions import reward_redeem
from tests.members.factories import MemberFactory

from .factories import RewardFactory, TierFactory

pytestmark = pytest.mark.django_db


def rule(field, operator, value, **params):
    return {
        "op": "and",
        "rules": [{"field": field, "operator": operator, "value": value, "params": params}],
    }


def matching(rules):
    return set(segment_members(rules=rules).values_list("first_name", flat=True))


def award(member, points, key, **kwargs):
    return points_award(member=member, points=points, reason="Test", idempotency_key=key, **kwargs)


def test_points_balance_counts_members_without_an_account_as_zero():
    award(MemberFactory(first_name="Rich"), 500, "a")
    award(MemberFactory(first_name="Some"), 50, "b")
    MemberFactory(first_name="None")

    assert matching(rule("points_balance", "gte", 100)) == {"Rich"}
    assert matching(rule("points_balance", "lt", 100)) == {"Some", "None"}
    assert matching(rule("points_balance", "eq", 0)) == {"None"}


def test_points_earned_in_a_window():
    recent, old = MemberFactory(first_name="Recent"), MemberFactory(first_name="Old")
    award(recent, 300, "r")
    entry = award(old, 300, "o")
    PointsEntry.objects.filter(pk=entry.pk).update(
        created_at=timezone.now() - datetime.timedelta(days=200)
    )

    assert matching(rule("points_earned", "gte", 300, days=90)) == {"Recent"}
    assert matching(rule("points_earned", "gte", 300)) == {"Recent", "Old"}
    assert "Old" in matching(rule("points_earned", "eq", 0, days=90))


def test_tier_and_redeemed_reward():
    gold = TierFactory()
    in_gold = MemberFactory(first_name="Gold")
    award(in_gold, 1000, "g")
    PointsAccount.objects.filter(member=in_gold).update(tier=gold)
    reward = RewardFactory(points_cost=100)
    reward_redeem(member=in_gold, reward=reward, idempotency_key="x")
    MemberFactory(first_name="Plain")

    assert matching(rule("tier", "in", [str(gold.pk)])) == {"Gold"}
    assert matching(rule("tier", "not_in", [str(gold.pk)])) == {"Plain"}
    assert matching(rule("redeemed", "any", [str(reward.pk)])) == {"Gold"}
    assert matching(rule("redeemed", "none", [str(reward.pk)])) == {"Plain"}


def test_a_bad_points_value_is_refused_with_a_message():
    with pytest.raises(ValidationError):
        segment_members(rules=rule("points_balance", "gte", "many"))


def test_timeline_and_data_export_include_points_and_redemptions():
    member = MemberFactory()
    award(member, 500, "t")
    reward = RewardFactory(points_cost=200, name_en="Cooking class", name_sv="Matlagningskurs")
    redemption = reward_redeem(member=member, reward=reward, idempotency_key="t2")
    TierChange.objects.create(
        member=member, to_tier=TierFactory(), reason="upgrade", points_12m=500
    )

    kinds = [entry.kind for entry in member_timeline(member=member)]
    assert kinds.count("points") == 2 and "redemption" in kinds and "tier" in kinds

    archive = zipfile.ZipFile(io.BytesIO(member_export_zip(member=member)))
    names = archive.namelist()
    assert any(name.endswith("points.csv") for name in names)
    redemptions = next(name for name in names if name.endswith("redemptions.csv"))
    assert redemption.voucher_code in archive.read(redemptions).decode("utf-8-sig")
