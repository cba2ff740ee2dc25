"""seed_demo gives the campaigns pages something to show."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from campaigns.models import Campaign, Trigger
from campaigns.results import campaign_report

pytestmark = pytest.mark.django_db


def test_seed_demo_makes_sent_campaigns_with_results_a_scheduled_one_and_live_triggers():
    call_command("seed_demo", members=120, seed=7)

    ab = Campaign.objects.get(name__startswith="Vårnyheter")
    assert ab.state == "sent" and ab.winner is not None
    groups = {("holdout" if r.is_holdout else r.label): r for r in campaign_report(campaign=ab)}
    assert {"A", "B", "holdout"} <= set(groups)
    assert groups["holdout"].sent == 0 and groups[ab.winner.name].sent > 0
    assert Campaign.objects.filter(state="scheduled", trigger="").count() == 1
    assert Trigger.objects.filter(state="sending").count() >= 3
