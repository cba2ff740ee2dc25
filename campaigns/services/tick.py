"""The periodic run (every minute): start due campaigns, find messages of workers that died, and
ask for sending where messages are due (after a retry pause, quiet hours, a lost broker message).
"""

from __future__ import annotations

import datetime

from django.utils import timezone

from campaigns.models import Campaign, Message
from campaigns.services.abtest import campaign_test_decide, campaigns_test_due
from campaigns.services.campaigns import campaign_start
from campaigns.services.dispatch import send_later
from campaigns.services.outbox import messages_recover
from campaigns.services.sending import campaign_finish_if_done


def campaigns_tick(*, now: datetime.datetime | None = None) -> dict:
    now = now or timezone.now()
    started = 0
    due = Campaign.objects.filter(state=Campaign.State.SCHEDULED, send_at__lte=now)
    for campaign_id in due.values_list("pk", flat=True):
        started += campaign_start(campaign_id=campaign_id, now=now)
    decided = sum(
        campaign_test_decide(campaign_id=campaign_id, now=now)
        for campaign_id in campaigns_test_due(now=now)
    )
    requeued, in_doubt = messages_recover(now=now)
    kicked = 0
    for campaign_id in Campaign.objects.filter(state=Campaign.State.SENDING).values_list(
        "pk", flat=True
    ):
        has_due = Message.objects.filter(
            campaign_id=campaign_id, state=Message.State.QUEUED, next_attempt_at__lte=now
        ).exists()
        if has_due:
            send_later(campaign_id)
            kicked += 1
        else:
            campaign_finish_if_done(campaign_id=campaign_id, now=now)
    return {
        "started": started,
        "decided": decided,
        "requeued": requeued,
        "in_doubt": in_doubt,
        "kicked": kicked,
    }
