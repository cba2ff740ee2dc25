"""The A/B and holdout report: uplift with a 95 % interval, conversions in the window."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from campaigns.models import Message
from campaigns.selectors.reports import campaign_report, uplift
from tests.campaigns.factories import CampaignFactory, VariantFactory
from tests.members.factories import MemberFactory, PurchaseFactory


def test_uplift_is_significant_only_when_the_interval_excludes_zero():
    clear = uplift(converted=300, targeted=1000, control_converted=100, control=1000)
    assert clear.significant and clear.low > 0
    unclear = uplift(converted=11, targeted=100, control_converted=10, control=100)
    assert not unclear.significant and unclear.low < 0 < unclear.high


@pytest.mark.django_db
def test_conversions_and_revenue_are_counted_within_the_window_per_group():
    now = timezone.now()
    campaign = CampaignFactory(state="sent", started_at=now, goal_window_days=7)
    variant = VariantFactory(campaign=campaign)
    buyer, idle, late, control_buyer = (MemberFactory() for _ in range(4))
    for member in (buyer, idle, late):
        Message.objects.create(
            campaign=campaign,
            member=member,
            channel="email",
            variant=variant,
            state="sent",
            sent_at=now,
        )
    Message.objects.create(
        campaign=campaign,
        member=control_buyer,
        channel="email",
        is_holdout=True,
        state="skipped",
        skip_reason="holdout",
    )
    PurchaseFactory(
        member=buyer, purchased_at=now + datetime.timedelta(days=2), amount=Decimal("100")
    )
    PurchaseFactory(member=late, purchased_at=now + datetime.timedelta(days=9))
    PurchaseFactory(
        member=control_buyer, purchased_at=now + datetime.timedelta(days=1), amount=Decimal("50")
    )

    rows = {("holdout" if r.is_holdout else r.label): r for r in campaign_report(campaign=campaign)}

    assert rows["A"].targeted == 3 and rows["A"].sent == 3 and rows["A"].converted == 1
    assert rows["A"].revenue == Decimal("100")
    assert rows["holdout"].converted == 1 and rows["holdout"].revenue == Decimal("50")
    assert rows["A"].uplift is not None and not rows["A"].uplift.significant
