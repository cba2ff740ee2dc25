"""Thin Celery entry points: each calls one service and is safe to run twice."""

from __future__ import annotations

from celery import shared_task

from feedback.services.cases import cases_escalate_overdue
from feedback.services.triggers import surveys_after_joining


@shared_task(acks_late=True)
def cases_escalate_overdue_task() -> int:
    return cases_escalate_overdue()


@shared_task(acks_late=True)
def surveys_after_joining_task() -> int:
    return surveys_after_joining()
