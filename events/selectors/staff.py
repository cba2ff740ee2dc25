"""Reads for the staff pages: events to check in at, finding a registration at the door, and
the figures per event (a constant number of queries whatever the number of registrations)."""

from __future__ import annotations

import datetime
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone

from events.models import Event, Registration
from rewards.models import PointsEntry

S = Registration.Status


def checkin_event_list() -> QuerySet[Event]:
    """Published events from yesterday on, soonest first."""
    since = timezone.now() - datetime.timedelta(days=1)
    return Event.objects.filter(status=Event.Status.PUBLISHED, ends_at__gte=since).order_by(
        "starts_at"
    )[:50]


def checkin_event_get(*, event_id: int) -> Event:
    event = Event.objects.filter(
        pk=event_id, status__in=[Event.Status.PUBLISHED, Event.Status.FINISHED]
    ).first()
    if event is None:
        raise Http404
    return event


def checkin_registration_search(*, event: Event, query: str) -> list[Registration]:
    """Registrations of `event` whose code is `query` or whose member's name contains it."""
    q = Q(code__iexact=query) | Q(member__first_name__icontains=query)
    q |= Q(member__last_name__icontains=query)
    parts = query.split()
    if len(parts) >= 2:
        q |= Q(member__first_name__icontains=parts[0], member__last_name__icontains=parts[-1])
    return list(
        Registration.objects.filter(event=event)
        .filter(q)
        .select_related("member")
        .order_by("member__last_name", "member__first_name")[:20]
    )


def checkin_summary(*, event: Event) -> dict[str, int]:
    return Registration.objects.filter(event=event, status=S.REGISTERED).aggregate(
        registered=Count("pk"),
        people=Coalesce(Sum("guests"), 0) + Count("pk"),
        attended=Count("pk", filter=Q(attended_at__isnull=False)),
    )


def event_figures(*, event: Event) -> dict[str, Any]:
    """Invited, registered, waitlisted, attended, no-show rate, points spent and awarded."""
    counts = Registration.objects.filter(event=event).aggregate(
        registered=Count("pk", filter=Q(status=S.REGISTERED)),
        waitlisted=Count("pk", filter=Q(status=S.WAITLISTED)),
        offered=Count("pk", filter=Q(status=S.OFFERED)),
        cancelled=Count("pk", filter=Q(status__in=[S.CANCELLED, S.DECLINED])),
        attended=Count("pk", filter=Q(attended_at__isnull=False)),
        points_spent=Coalesce(Sum("points_paid"), 0) - Coalesce(Sum("points_refunded"), 0),
    )
    counts["invited"] = event.invitations.count()
    counts["points_awarded"] = PointsEntry.objects.filter(
        cause_label="activity:event_attended",
        idempotency_key__endswith=f":event:{event.pk}",
    ).aggregate(total=Coalesce(Sum("amount"), 0))["total"]
    finished = event.ends_at <= timezone.now()
    counts["no_show_rate"] = (
        round(100 * (counts["registered"] - counts["attended"]) / counts["registered"])
        if finished and counts["registered"]
        else None
    )
    return counts
