"""What events adds to the club through the registries of core, members and rewards, so no lower
app imports events:

- portal navigation (Events), the member home card (next registered event);
- the staff dashboard tile (upcoming events' fill rate, attendance and no-show rate), the
  back-office group club_life for the events admin, the staff calendar;
- members: segment fields (registered for / attended events in a window, no-shows), member 360
  timeline entries, the GDPR export (registrations, check-ins, invitations) and erasure (the
  person goes, the counts stay);
- rewards: the badge metric "events attended", and the redemption hook by which an
  "experience" reward takes a seat at its event.

`register()` is called once from EventsConfig.ready()."""

from __future__ import annotations

import datetime
from typing import Any

from django.db.models import Count, Exists, IntegerField, OuterRef, Q, Subquery, Sum
from django.db.models.functions import Coalesce
from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.calendar import CalendarEntry, calendar_provider_register
from core.dashboard import Period, backoffice_model_register, dashboard_tile_register
from core.home import home_card_register
from core.navigation import portal_nav_register
from events.models import (
    CheckIn,
    Event,
    Invitation,
    Registration,
    qr_token_generate,
    registration_code_generate,
)
from events.selectors.portal import upcoming_registration_for_member
from events.services.registrations import event_cancel_registration, event_seat_hook
from members.gdpr import gdpr_eraser_register, gdpr_exporter_register, gdpr_model_covered
from members.models import Member
from members.segments import BOOLEAN, NUMBER, SegmentField, compare_q, segment_field_register
from members.timeline import TimelineEntry, admin_url, timeline_provider_register
from rewards.hooks import redemption_hook_register
from rewards.metrics import badge_metric_register

EVENTS = _("Events")
S = Registration.Status


# --- Segment fields ------------------------------------------------------------------------------


def _window(params: dict[str, Any]) -> Q:
    days = params.get("days")
    q = Q(event__starts_at__lte=params["now"])
    if days:
        q &= Q(event__starts_at__gte=params["now"] - datetime.timedelta(days=days))
    return q


def _count_field(rows: Q):
    def build(operator: str, value: Any, params: dict[str, Any]) -> Q:
        registrations = Registration.objects.filter(rows, member=OuterRef("pk"))
        days = params.get("days")
        if days:
            since = params["now"] - datetime.timedelta(days=days)
            registrations = registrations.filter(event__starts_at__gte=since)
        total = Subquery(
            registrations.order_by().values("member").annotate(n=Count("pk")).values("n")[:1],
            output_field=IntegerField(),
        )
        member_ids = Member.objects.alias(
            events_n=Coalesce(total, 0, output_field=IntegerField())
        ).filter(compare_q("events_n", operator, value))
        return Q(pk__in=member_ids.values("pk"))

    return build


def _no_shows(operator: str, value: Any, params: dict[str, Any]) -> Q:
    """Registered for an event that has ended, and never checked in."""
    missed = Registration.objects.filter(
        _window(params),
        member=OuterRef("pk"),
        status=S.REGISTERED,
        attended_at__isnull=True,
        event__ends_at__lt=params["now"],
    )
    total = Subquery(
        missed.order_by().values("member").annotate(n=Count("pk")).values("n")[:1],
        output_field=IntegerField(),
    )
    member_ids = Member.objects.alias(
        no_shows=Coalesce(total, 0, output_field=IntegerField())
    ).filter(compare_q("no_shows", operator, value))
    q = Q(pk__in=member_ids.values("pk"))
    return q


def _upcoming(operator: str, value: Any, params: dict[str, Any]) -> Q:
    q = Q(
        Exists(
            Registration.objects.filter(
                member=OuterRef("pk"),
                status=S.REGISTERED,
                event__starts_at__gt=params["now"],
                event__status=Event.Status.PUBLISHED,
            )
        )
    )
    return q if value else ~q


def register_segment_fields() -> None:
    days = {"days": int}
    segment_field_register(
        SegmentField(
            "events_registered",
            _("events registered for"),
            EVENTS,
            NUMBER,
            _count_field(Q(status__in=[S.REGISTERED, S.OFFERED])),
            params=days,
            minimum=0,
            help_text=_(
                "Events (starting in the last N days, or ever) the member holds a seat at."
            ),
        )
    )
    segment_field_register(
        SegmentField(
            "events_attended",
            _("events attended"),
            EVENTS,
            NUMBER,
            _count_field(Q(attended_at__isnull=False)),
            params=days,
            minimum=0,
        )
    )
    segment_field_register(
        SegmentField("events_no_shows", _("event no-shows"), EVENTS, NUMBER, _no_shows, params=days)
    )
    segment_field_register(
        SegmentField(
            "events_upcoming", _("registered for an upcoming event"), EVENTS, BOOLEAN, _upcoming
        )
    )


# --- Badge metric ------------------------------------------------------------------------------


def events_attended(*, member_ids=None, since=None, until=None):
    """Events the member checked in at."""
    qs = Registration.objects.filter(attended_at__isnull=False).order_by()
    if member_ids is not None:
        qs = qs.filter(member_id__in=member_ids)
    if since is not None:
        qs = qs.filter(attended_at__gte=since)
    if until is not None:
        qs = qs.filter(attended_at__lt=until)
    return qs.values("member_id").annotate(value=Count("id"))


# --- Timeline ------------------------------------------------------------------------------------


def registrations_timeline(*, member: Member, limit: int) -> list[TimelineEntry]:
    rows = (
        Registration.objects.filter(member=member)
        .select_related("event")
        .order_by("-created_at", "-id")[:limit]
    )
    entries = []
    for registration in rows:
        entries.append(
            TimelineEntry(
                at=registration.created_at,
                kind="event",
                title=_("Event: %(event)s") % {"event": registration.event.title},
                detail=registration.get_status_display(),
                url=admin_url("admin:events_registration_change", registration.pk),
            )
        )
        if registration.attended_at:
            entries.append(
                TimelineEntry(
                    at=registration.attended_at,
                    kind="event",
                    title=_("Checked in at %(event)s") % {"event": registration.event.title},
                    url=admin_url("admin:events_registration_change", registration.pk),
                )
            )
    return entries


# --- GDPR ----------------------------------------------------------------------------------------


def registrations_export(*, member: Member) -> list[dict[str, Any]]:
    return [
        {
            "event": registration.event.title,
            "starts": registration.event.starts_at.isoformat(),
            "status": registration.status,
            "guests": registration.guests,
            "code": registration.code,
            "points_paid": registration.points_paid,
            "points_refunded": registration.points_refunded,
            "registered": registration.created_at.isoformat(),
            "checked_in": registration.attended_at.isoformat() if registration.attended_at else "",
        }
        for registration in Registration.objects.filter(member=member)
        .select_related("event")
        .order_by("created_at", "id")
    ]


def invitations_export(*, member: Member) -> list[dict[str, Any]]:
    return [
        {"event": invitation.event.title, "sent": invitation.created_at.isoformat()}
        for invitation in Invitation.objects.filter(member=member)
        .select_related("event")
        .order_by("created_at", "id")
    ]


def events_erase(*, member: Member) -> None:
    """The person goes, the counts stay: registrations stay (on the anonymised member) with new
    codes and tokens that lead to no one, future seats are given up (to the waitlist, with any
    points price paid back, told to no one), invitations stay on the anonymised member (the
    figures still count them) and check-in scans forget the code typed or scanned."""
    now = timezone.now()
    registrations = Registration.objects.filter(member=member)
    CheckIn.objects.filter(registration__in=registrations).update(code="")
    future = list(
        registrations.filter(
            status__in=[S.REGISTERED, S.WAITLISTED, S.OFFERED], event__starts_at__gt=now
        ).values_list("event_id", flat=True)
    )
    for registration in registrations:
        registration.code = f"X{registration_code_generate()}"
        registration.qr_token = qr_token_generate()
        registration.save(update_fields=["code", "qr_token"])
    for registration in registrations.filter(event_id__in=future):
        event_cancel_registration(registration=registration, by_staff=True, now=now, notify=False)


# --- Home card, dashboard tile, calendar ---------------------------------------------------------


def home_card(request: HttpRequest, member: Any) -> dict[str, Any] | None:
    registration = upcoming_registration_for_member(member=member)
    if registration is None:
        return None
    return {"registration": registration, "event": registration.event}


def dashboard_data(request: HttpRequest, period: Period) -> dict[str, Any] | None:
    now = timezone.now()
    upcoming = Event.objects.filter(status=Event.Status.PUBLISHED, starts_at__gt=now).aggregate(
        seats=Coalesce(Sum("capacity"), 0), taken=Coalesce(Sum("seats_taken"), 0), n=Count("pk")
    )
    past = Registration.objects.filter(
        status=S.REGISTERED,
        event__ends_at__lte=now,
        event__ends_at__gte=period.start,
        event__status__in=[Event.Status.PUBLISHED, Event.Status.FINISHED],
    ).aggregate(registered=Count("pk"), attended=Count("pk", filter=Q(attended_at__isnull=False)))
    fill = round(100 * upcoming["taken"] / upcoming["seats"]) if upcoming["seats"] else 0
    attendance = round(100 * past["attended"] / past["registered"]) if past["registered"] else None
    figures = [
        {"label": _("Upcoming events"), "value": upcoming["n"], "url": _changelist()},
        {"label": _("Fill rate"), "value": fill, "display": f"{fill} %"},
    ]
    if attendance is not None:
        figures.append(
            {"label": _("Attendance"), "value": attendance, "display": f"{attendance} %"}
        )
        figures.append(
            {
                "label": _("No-show rate"),
                "value": 100 - attendance,
                "display": f"{100 - attendance} %",
            }
        )
    return {"figures": figures, "note": _("Attendance and no-shows of events in the period.")}


def _changelist() -> str:
    try:
        return reverse("admin:events_event_changelist")
    except NoReverseMatch:
        return ""


def calendar_entries(*, start, end, user) -> list[CalendarEntry]:
    events = Event.objects.filter(starts_at__lt=end, ends_at__gt=start).exclude(
        status=Event.Status.DRAFT
    )
    return [
        CalendarEntry(
            kind="event",
            title=event.title,
            start=event.starts_at,
            end=event.ends_at,
            url=admin_url("admin:events_event_change", event.pk),
            state=event.get_status_display(),
            detail=_("%(taken)d of %(capacity)d seats taken")
            % {"taken": event.seats_taken, "capacity": event.capacity},
        )
        for event in events.order_by("starts_at")[:500]
    ]


# How erasing a member treats each events model (members.gdpr; checked by a model walk).
GDPR_COVERAGE = {
    "events.Event": "the event itself: its picture and the venue's address, no member's data",
    "events.Registration": "events_erase gives the registration new codes that lead to no one "
    "and gives up future seats; it stays on the anonymised member so the figures count it",
    "events.Invitation": "stays on the anonymised member, so the figures still count it",
    "events.CheckIn": "events_erase forgets the code typed or scanned; staff is staff",
}


def register() -> None:
    for label, how in GDPR_COVERAGE.items():
        gdpr_model_covered(label, how)
    portal_nav_register(label=_("Events"), url_name="events:list", order=50)
    home_card_register(
        key="events-next", template="events/_home_card.html", context=home_card, order=30
    )
    dashboard_tile_register(
        key="events",
        title=_("Events"),
        group="club_life",
        data=dashboard_data,
        permission="events.add_event",  # those who run events (store staff: the till)
    )
    for model in ("events.Event", "events.Registration", "events.CheckIn", "events.Invitation"):
        backoffice_model_register(model=model, group="club_life")
    calendar_provider_register("events", calendar_entries)
    register_segment_fields()
    badge_metric_register("events_attended", _("Events attended"), events_attended)
    timeline_provider_register(registrations_timeline)
    gdpr_exporter_register("event_registrations", registrations_export)
    gdpr_exporter_register("event_invitations", invitations_export)
    gdpr_eraser_register(events_erase)
    redemption_hook_register(event_seat_hook)
