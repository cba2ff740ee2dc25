"""Thin Celery entry points: load ids, call a service. Every task is safe to run twice."""

from __future__ import annotations

from celery import shared_task

from campaigns.services.campaigns import campaign_start
from campaigns.services.sending import campaign_send
from campaigns.services.tick import campaigns_tick
from campaigns.services.triggers import triggers_run


@shared_task(acks_late=True)
def campaign_start_task(*, campaign_id: int) -> bool:
    return campaign_start(campaign_id=campaign_id)


@shared_task(acks_late=True)
def campaign_send_task(*, campaign_id: int) -> dict:
    return campaign_send(campaign_id=campaign_id).as_dict()


@shared_task
def campaigns_tick_task() -> dict:
    return campaigns_tick()


@shared_task
def campaigns_triggers_task() -> dict:
    return triggers_run()
