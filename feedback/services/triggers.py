"""Surveys sent by themselves: after a purchase (from the members purchase hook, in the
purchase's transaction) and N days after joining (a periodic task). Each member is invited once
per survey and occasion: the invitation's unique key decides, not timing."""

from __future__ import annotations

import datetime

from django.db import transaction
from django.utils import timezone

from feedback.models import Invitation, Survey
from members.models import Member

from .surveys import survey_invite

JOINING_WINDOW_DAYS = 7  # a member missed by a late run is still invited within a week


def _open_triggered(kind: str):
    now = timezone.now()
    return [
        s for s in Survey.objects.filter(status=Survey.Status.OPEN, trigger=kind) if s.is_open(now)
    ]


def survey_after_purchase(*, purchase) -> None:
    """Invite the buyer to each open 'after a purchase' survey (returns are not asked about)."""
    if purchase.amount <= 0 or purchase.original_id is not None:
        return
    member = purchase.member
    if member.erased_at is not None or member.status != Member.Status.ACTIVE:
        return
    for survey in _open_triggered(Survey.Trigger.AFTER_PURCHASE):
        survey_invite(
            survey=survey,
            member=member,
            occasion=f"purchase:{purchase.pk}",
            channel=Invitation.Channel.TRIGGER,
            store=purchase.store,
        )


def surveys_after_joining(*, now: datetime.datetime | None = None, batch: int = 500) -> int:
    """Invite members who joined N days ago (within a week's window) to each open 'N days after
    joining' survey; returns how many invitations were made."""
    now = now or timezone.now()
    made = 0
    for survey in _open_triggered(Survey.Trigger.DAYS_AFTER_JOINING):
        due = now - datetime.timedelta(days=survey.trigger_days or 0)
        invited = Invitation.objects.filter(survey=survey, occasion="join").values("member_id")
        members = (
            Member.objects.filter(
                status=Member.Status.ACTIVE,
                erased_at__isnull=True,
                joined_at__lte=due,
                joined_at__gt=due - datetime.timedelta(days=JOINING_WINDOW_DAYS),
            )
            .exclude(pk__in=invited)
            .order_by("pk")
        )
        for member in members[:batch]:
            with transaction.atomic():
                survey_invite(
                    survey=survey,
                    member=member,
                    occasion="join",
                    channel=Invitation.Channel.TRIGGER,
                )
            made += 1
    return made
