"""What events tells members: e-mail through the outbox (inside the caller's transaction, so a
rolled-back registration sends nothing) in the member's language, SMS through the transactional
SMS registry when campaigns has registered a sender, and the .ics calendar file.

The .ics has a stable UID per registration (so a calendar updates rather than duplicates it), the
times in UTC, and nothing secret of the member: no QR token, no e-mail address, no name."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.core.mail import EmailMessage
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext
from icalendar import Calendar
from icalendar import Event as IcsEvent

from core.email import email_send_later
from core.messaging import sms_send_transactional
from events.models import Event, Registration


def _when(event: Event) -> str:
    start = timezone.localtime(event.starts_at)
    return date_format(start, "DATETIME_FORMAT")


def _place(event: Event) -> str:
    if event.venue:
        return ", ".join(part for part in (event.venue, event.address, event.city) if part)
    return event.online_url


def registration_ics(registration: Registration) -> str:
    """The registration's calendar file (text/calendar)."""
    event = registration.event
    calendar = Calendar()
    calendar.add("prodid", "-//Lojal//events//EN")
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    entry = IcsEvent()
    domain = settings.EVENTS_ICS_DOMAIN
    entry.add("uid", f"registration-{registration.pk}@{domain}")
    entry.add("summary", event.title)
    entry.add("dtstart", event.starts_at.astimezone(datetime.UTC))
    entry.add("dtend", event.ends_at.astimezone(datetime.UTC))
    entry.add("dtstamp", timezone.now().astimezone(datetime.UTC))
    if event.description:
        entry.add("description", event.description)
    if _place(event):
        entry.add("location", _place(event))
    if event.online_url:
        entry.add("url", event.online_url)
    entry.add("status", "CANCELLED" if event.status == Event.Status.CANCELLED else "CONFIRMED")
    calendar.add_component(entry)
    return calendar.to_ical().decode()


def _send(registration: Registration, subject: str, lines: list[str], *, ics: bool = False):
    member = registration.member
    if not member.email:
        return
    message = EmailMessage(subject=subject, body="\n\n".join(lines) + "\n", to=[member.email])
    if ics:
        message.attach("event.ics", registration_ics(registration), "text/calendar")
    email_send_later(message)


def notify_registered(registration: Registration, *, promoted: bool = False) -> None:
    event = registration.event
    with translation.override(registration.member.language):
        lines = [
            (
                gettext("Good news: a seat freed up and you are now registered for %(event)s.")
                if promoted
                else gettext("You are registered for %(event)s.")
            )
            % {"event": event.title},
            gettext("When: %(when)s") % {"when": _when(event)},
            gettext("Where: %(place)s") % {"place": _place(event)},
            gettext("Your code at the door: %(code)s") % {"code": registration.code},
        ]
        if registration.guests:
            lines.append(gettext("Guests: %(count)d") % {"count": registration.guests})
        subject = gettext("Registered: %(event)s") % {"event": event.title}
        _send(registration, subject, lines, ics=True)
        if promoted:
            sms_send_transactional(
                member_id=registration.member_id,
                text=gettext("You got a seat at %(event)s (%(when)s). Code: %(code)s")
                % {"event": event.title, "when": _when(event), "code": registration.code},
                key=f"events:promoted:{registration.pk}:{registration.payments}",
            )


def notify_waitlisted(registration: Registration) -> None:
    event = registration.event
    with translation.override(registration.member.language):
        lines = [
            gettext("%(event)s is full: you are number %(position)d on the waitlist.")
            % {"event": event.title, "position": registration.waitlist_position or 0},
            gettext("We will tell you as soon as a seat frees up."),
        ]
        subject = gettext("Waitlist: %(event)s") % {"event": event.title}
        _send(registration, subject, lines)


def notify_offered(registration: Registration) -> None:
    event = registration.event
    assert registration.offer_expires_at is not None
    expires = date_format(timezone.localtime(registration.offer_expires_at), "DATETIME_FORMAT")
    with translation.override(registration.member.language):
        lines = [
            gettext("A seat at %(event)s is held for you until %(expires)s.")
            % {"event": event.title, "expires": expires},
            gettext("Accept or decline it on the event's page: %(url)s")
            % {"url": f"{settings.SITE_URL.rstrip('/')}/events/{event.pk}/"},
        ]
        subject = gettext("A seat for you: %(event)s") % {"event": event.title}
        _send(registration, subject, lines)
        sms_send_transactional(
            member_id=registration.member_id,
            text=gettext("A seat at %(event)s is held for you until %(expires)s.")
            % {"event": event.title, "expires": expires},
            key=f"events:offer:{registration.pk}:{registration.offer_expires_at.isoformat()}",
        )


def notify_cancelled(registration: Registration, *, event_cancelled: bool) -> None:
    event = registration.event
    with translation.override(registration.member.language):
        if event_cancelled:
            lines = [gettext("We are sorry: %(event)s is cancelled.") % {"event": event.title}]
            subject = gettext("Cancelled: %(event)s") % {"event": event.title}
        else:
            lines = [
                gettext("Your registration for %(event)s is cancelled.") % {"event": event.title}
            ]
            subject = gettext("Registration cancelled: %(event)s") % {"event": event.title}
        if registration.points_refunded:
            lines.append(
                gettext("%(points)d points are back in your account.")
                % {"points": registration.points_refunded}
            )
        _send(registration, subject, lines, ics=event_cancelled)


def notify_reminder(registration: Registration) -> None:
    event = registration.event
    with translation.override(registration.member.language):
        lines = [
            gettext("A reminder: %(event)s starts %(when)s.")
            % {"event": event.title, "when": _when(event)},
            gettext("Where: %(place)s") % {"place": _place(event)},
            gettext("Your code at the door: %(code)s") % {"code": registration.code},
        ]
        subject = gettext("Reminder: %(event)s") % {"event": event.title}
        _send(registration, subject, lines, ics=True)


def notify_invited(*, event: Event, member) -> None:
    if not member.email:
        return
    with translation.override(member.language):
        name = member.first_name or gettext("member")
        lines = [
            gettext("Dear %(name)s, you are invited to %(event)s.")
            % {"name": name, "event": event.title},
            gettext("When: %(when)s") % {"when": _when(event)},
            gettext("Where: %(place)s") % {"place": _place(event)},
            gettext("Register here: %(url)s")
            % {"url": f"{settings.SITE_URL.rstrip('/')}/events/{event.pk}/"},
        ]
        subject = gettext("Invitation: %(event)s") % {"event": event.title}
        email_send_later(
            EmailMessage(subject=subject, body="\n\n".join(lines) + "\n", to=[member.email])
        )
