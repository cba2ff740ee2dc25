"""Asking the workers to start or send a campaign, by task name (services do not import tasks).
With CELERY_TASK_ALWAYS_EAGER (tests, eager settings) the work runs here and now instead.

A broker that is down loses nothing: the periodic `campaigns_tick_task` starts due campaigns and
sends what is queued every minute."""

from __future__ import annotations

import logging

from celery import current_app
from django.conf import settings

logger = logging.getLogger(__name__)

START_TASK = "campaigns.tasks.campaign_start_task"
SEND_TASK = "campaigns.tasks.campaign_send_task"


def _send_task(name: str, campaign_id: int) -> None:
    try:
        current_app.send_task(name, kwargs={"campaign_id": campaign_id})
    except Exception:
        logger.warning("Could not reach the broker; the periodic tick will do it.", exc_info=True)


def start_later(campaign_id: int) -> None:
    if current_app.conf.task_always_eager:
        from campaigns.services.campaigns import campaign_start

        campaign_start(campaign_id=campaign_id)
        return
    _send_task(START_TASK, campaign_id)


def send_later(campaign_id: int) -> None:
    """One send task per CAMPAIGNS_SEND_PARALLEL worker: they share the outbox."""
    if current_app.conf.task_always_eager:
        from campaigns.services.sending import campaign_send

        campaign_send(campaign_id=campaign_id)
        return
    for _ in range(max(settings.CAMPAIGNS_SEND_PARALLEL, 1)):
        _send_task(SEND_TASK, campaign_id)
