"""What a member sees of events: the upcoming events they may attend (a constant number of
queries whatever the number of events: candidates, their tiers, the member's segments in one
query, the member's registrations), an event page, their registrations with their place in line,
and the events they attended. Access goes through here: another member's registration is a 404."""

from __future__ import annotations

import datetime
from typing import Any

from django.db.models import Count, IntegerField, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.http import Http404
from django.utils import timezone

from events.models import Event, Registration
from members.models import Member
from rewards.models import PointsAccount, Tier
from rewards.targeting import member_segment_ids

VISIBLE = (Event.Status.PUBLISHED, Event.Status.CANCELLED)


def _member_tier_id(member: Member) -> int | None:
    return PointsAccount.objects.filter(member=member).values_list("tier_id", flat=True).first()


def _eligible(events: list[Event], member: Member) -> list[Event]:
    tier_id = _member_tier_id(member)
    segments = {event.segment for event in events if event.segment is not None}
    segment_ids = member_segment_ids(member=member, segments=segments) if segments else set()
    kept = []
    for event in events:
        if event.eligibility == Event.Eligibility.TIERS:
            if tier_id not in {tier.pk for tier in event.tiers.all()}:
                continue
        elif event.eligibility == Event.Eligibility.SEGMENT and event.segment_id not in segment_ids:
            continue
        kept.append(event)
    return kept


def _place_in_line() -> Subquery:
    ahead = (
        Registration.objects.filter(
            event=OuterRef("event"),
            status=Registration.Status.WAITLISTED,
            waitlist_position__lte=OuterRef("waitlist_position"),
        )
        .order_by()
        .values("event")
        .annotate(n=Count("pk"))
        .values("n")[:1]
    )
    return Subquery(ahead, output_field=IntegerField())


def _attach_registrations(events: list[Event], member: Member) -> None:
    mine = {
        registration.event_id: registration
        for registration in Registration.objects.filter(
            member=member, event__in=[event.pk for event in events]
        ).annotate(place_in_line=_place_in_line())
    }
    for event in events:
        event.my_registration = mine.get(event.pk)  # type: ignore[attr-defined]


def event_list_for_member(
    *,
    member: Member,
    month: datetime.date | None = None,
    city: str = "",
    now: datetime.datetime | None = None,
) -> list[Event]:
    """Upcoming published events `member` may attend, soonest first, each with
    `my_registration` (or None)."""
    now = now or timezone.now()
    events = Event.objects.filter(status=Event.Status.PUBLISHED, starts_at__gt=now)
    if month is not None:
        start = timezone.make_aware(datetime.datetime(month.year, month.month, 1))
        following = (start.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)
        events = events.filter(starts_at__gte=start, starts_at__lt=following)
    if city:
        events = events.filter(city__iexact=city)
    rows = list(
        events.select_related("segment")
        .prefetch_related(Prefetch("tiers", queryset=Tier.objects.only("pk")))
        .order_by("starts_at", "pk")[:200]
    )
    kept = _eligible(rows, member)
    _attach_registrations(kept, member)
    return kept


def event_cities() -> list[str]:
    return list(
        Event.objects.filter(status=Event.Status.PUBLISHED, starts_at__gt=timezone.now())
        .exclude(city="")
        .values_list("city", flat=True)
        .distinct()
        .order_by("city")
    )


def event_get_for_member(*, member: Member, event_id: int) -> Event:
    """An event the member may see (published or cancelled, and eligible), with
    `my_registration`; Http404 otherwise. A member already registered always sees it."""
    event = (
        Event.objects.filter(pk=event_id, status__in=[*VISIBLE, Event.Status.FINISHED])
        .select_related("segment")
        .prefetch_related("tiers")
        .first()
    )
    if event is None:
        raise Http404
    _attach_registrations([event], member)
    if event.my_registration is None and not _eligible([event], member):  # type: ignore[attr-defined]
        raise Http404
    return event


def event_get_visible(*, event_id: int) -> Event:
    """An event members can know of (not a draft), whoever may attend it; Http404 otherwise.
    For writes, where the service explains a refusal (another tier, a segment) in words."""
    event = Event.objects.filter(pk=event_id, status__in=[*VISIBLE, Event.Status.FINISHED]).first()
    if event is None:
        raise Http404
    return event


def registration_get_for_member(*, member: Member, registration_id: Any) -> Registration:
    try:
        registration_id = int(registration_id)
    except (TypeError, ValueError):
        raise Http404 from None
    registration = (
        Registration.objects.select_related("event", "member")
        .filter(pk=registration_id, member=member)
        .first()
    )
    if registration is None:
        raise Http404
    return registration


def registration_list_for_member(*, member: Member) -> QuerySet[Registration]:
    """The member's current and upcoming registrations (registered, waiting, offered)."""
    return (
        Registration.objects.filter(
            member=member,
            status__in=[
                Registration.Status.REGISTERED,
                Registration.Status.WAITLISTED,
                Registration.Status.OFFERED,
            ],
            event__ends_at__gt=timezone.now(),
        )
        .select_related("event")
        .annotate(place_in_line=_place_in_line())
        .order_by("event__starts_at", "pk")
    )


def attended_list_for_member(*, member: Member) -> QuerySet[Registration]:
    return (
        Registration.objects.filter(member=member, attended_at__isnull=False)
        .select_related("event")
        .order_by("-event__starts_at")
    )


def upcoming_registration_for_member(*, member: Member) -> Registration | None:
    """The member's next event they are registered for (the home card)."""
    return (
        Registration.objects.filter(
            member=member,
            status__in=[Registration.Status.REGISTERED, Registration.Status.OFFERED],
            event__starts_at__gt=timezone.now(),
            event__status=Event.Status.PUBLISHED,
        )
        .select_related("event")
        .order_by("event__starts_at")
        .first()
    )


def events_q_for_staff_search(query: str) -> Q:
    return (
        Q(code__iexact=query)
        | Q(member__first_name__icontains=query)
        | Q(member__last_name__icontains=query)
    )
