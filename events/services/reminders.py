"""Reminders before an event, and invitations to it: each sent once, proven by a unique row.

A reminder is a ReminderSent row and an e-mail in the outbox, written in one transaction per
registration: two runs at once race for the row (the unique key makes the second wait and then
find it taken), and a worker killed mid-run leaves either both or neither, so the next run sends
exactly what is missing. Cancelled registrations are never reminded (the status is re-read under
the row lock)."""

from __future__ import annotations

import datetime

from django.db import IntegrityError, transaction
from django.db.models import DurationField, ExpressionWrapper, F, QuerySet
from django.utils import timezone

from core.services import audit_log
from events.models import Event, Invitation, Registration, ReminderSent
from members.models import Member

from .notifications import notify_invited, notify_reminder

HOUR = datetime.timedelta(hours=1)


def reminders_due(*, now: datetime.datetime) -> QuerySet[Registration]:
    lead = ExpressionWrapper(F("event__reminder_hours") * HOUR, output_field=DurationField())
    return (
        Registration.objects.filter(
            status=Registration.Status.REGISTERED,
            event__status=Event.Status.PUBLISHED,
            event__starts_at__gt=now,
            event__reminder_hours__gt=0,
        )
        .alias(lead=lead)
        .filter(event__starts_at__lte=now + F("lead"))
        .exclude(reminders__kind="before")
        .order_by("pk")
    )


def reminders_send(*, now: datetime.datetime | None = None) -> int:
    """Send every reminder that is due; returns how many this run sent."""
    now = now or timezone.now()
    sent = 0
    for registration_id in list(reminders_due(now=now).values_list("pk", flat=True)[:5000]):
        with transaction.atomic():
            registration = (
                Registration.objects.select_for_update(of=("self",))
                .select_related("event", "member")
                .filter(pk=registration_id, status=Registration.Status.REGISTERED)
                .first()
            )
            if registration is None:
                continue
            try:
                with transaction.atomic():
                    ReminderSent.objects.create(registration=registration, kind="before")
            except IntegrityError:
                continue
            notify_reminder(registration)
            sent += 1
    return sent


def invitations_send(*, event: Event, members: QuerySet[Member], actor=None) -> int:
    """Invite `members` (active ones) to `event`: one personal invitation e-mail each, in their
    language, once per event however often this is run. Returns how many were new."""
    invited = 0
    ids = list(members.filter(status=Member.Status.ACTIVE).values_list("pk", flat=True))
    with transaction.atomic():
        already = set(
            Invitation.objects.filter(event=event, member_id__in=ids).values_list(
                "member_id", flat=True
            )
        )
        for member in Member.objects.filter(pk__in=set(ids) - already).order_by("pk"):
            try:
                with transaction.atomic():
                    Invitation.objects.create(event=event, member=member)
            except IntegrityError:
                continue
            notify_invited(event=event, member=member)
            invited += 1
        audit_log(action="event.invite", actor=actor, target=event, details={"invited": invited})
    return invited
