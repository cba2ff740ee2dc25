"""Test mode: the variants went to a test share of the segment; after `test_hours` the variant
with the best rate (by the campaign's goal, or by clicks) is chosen and the held rest of the
segment gets it. Run by the periodic tick; choosing is a conditional update, so two runs choose
once. A tie goes to the variant named first."""

from __future__ import annotations

import datetime

from django.db import transaction
from django.utils import timezone

from campaigns.models import Campaign, Message
from campaigns.results import campaign_report
from core.services import audit_log


def _rate(row, metric: str) -> float:
    if metric == "clicks":
        return row.click_rate
    return row.conversion_rate


@transaction.atomic
def campaign_test_decide(*, campaign_id: int, now: datetime.datetime | None = None) -> bool:
    """Choose the winner of a test-mode campaign whose test time is over; False if not due."""
    now = now or timezone.now()
    campaign = (
        Campaign.objects.select_for_update()
        .filter(
            pk=campaign_id,
            test_share__gt=0,
            winner__isnull=True,
            started_at__isnull=False,
            state__in=[Campaign.State.SENDING, Campaign.State.SENT, Campaign.State.PAUSED],
        )
        .first()
    )
    if (
        campaign is None
        or campaign.started_at is None
        or campaign.started_at + datetime.timedelta(hours=campaign.test_hours) > now
    ):
        return False
    variants = {v.name: v for v in campaign.variants.all()}
    rows = [r for r in campaign_report(campaign=campaign) if not r.is_holdout and r.label]
    if not rows:
        return False
    best = max(rows, key=lambda r: (_rate(r, campaign.test_metric), -ord(r.label[0])))
    winner = variants[best.label]
    campaign.winner = winner
    campaign.winner_chosen_at = now
    fields = ["winner", "winner_chosen_at"]
    released = Message.objects.filter(campaign=campaign, state=Message.State.HELD).update(
        state=Message.State.QUEUED, variant=winner, next_attempt_at=now
    )
    if released and campaign.state == Campaign.State.SENT:
        campaign.state = Campaign.State.SENDING
        fields.append("state")
    campaign.save(update_fields=fields)
    audit_log(
        action="campaign.ab_winner",
        target=campaign,
        details={"winner": winner.name, "metric": campaign.test_metric, "released": released},
    )
    if released and campaign.state == Campaign.State.SENDING:
        from campaigns.services.dispatch import send_later

        transaction.on_commit(lambda: send_later(campaign.pk))
    return True


def campaigns_test_due(*, now: datetime.datetime) -> list[int]:
    return list(
        Campaign.objects.filter(
            test_share__gt=0, winner__isnull=True, started_at__isnull=False
        ).values_list("pk", flat=True)
    )
