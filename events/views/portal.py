"""The member's event pages in the portal: upcoming events (by month and place, seats left), an
event's page (register with guests, cancel, join or leave the waitlist, accept or decline an
offer, place in line), my registrations with their QR code, code and .ics, and past events.
Every change is a POST with CSRF that calls one service; a refusal is its translated message."""

from __future__ import annotations

from io import BytesIO

import qrcode
import qrcode.image.svg
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from events.forms import EventFilterForm, RegisterForm
from events.models import Registration
from events.selectors.portal import (
    attended_list_for_member,
    event_cities,
    event_get_for_member,
    event_list_for_member,
    registration_get_for_member,
    registration_list_for_member,
)
from events.services.notifications import registration_ics
from events.services.registrations import (
    event_cancel_registration,
    event_register,
    offer_accept,
    offer_decline,
)
from members.selectors.profiles import member_for_login


def _member_or_redirect(request: HttpRequest):
    member = member_for_login(user=request.user)
    if member is None:
        return None, redirect("members:profile")
    return member, None


@login_required
@require_GET
def event_list(request: HttpRequest) -> HttpResponse:
    member, response = _member_or_redirect(request)
    if response:
        return response
    form = EventFilterForm(request.GET or None, cities=event_cities())
    month, city = None, ""
    if form.is_valid():
        month, city = form.cleaned_data["month"], form.cleaned_data["city"]
    events = event_list_for_member(member=member, month=month, city=city)
    return render(request, "events/list.html", {"form": form, "events": events})


@login_required
@require_GET
def event_detail(request: HttpRequest, event_id: int) -> HttpResponse:
    member, response = _member_or_redirect(request)
    if response:
        return response
    event = event_get_for_member(member=member, event_id=event_id)
    form = RegisterForm(guests_allowed=event.guests_allowed)
    return render(request, "events/detail.html", {"event": event, "form": form})


def _act(request: HttpRequest, event_id: int, action) -> HttpResponse:
    member, response = _member_or_redirect(request)
    if response:
        return response
    event = event_get_for_member(member=member, event_id=event_id)
    try:
        message = action(member, event)
    except ValidationError as error:
        messages.error(request, error.messages[0])
    else:
        messages.success(request, message)
    return redirect("events:detail", event_id=event.pk)


@login_required
@require_POST
def register(request: HttpRequest, event_id: int) -> HttpResponse:
    def action(member, event):
        registration = event_register(
            event=event, member=member, guests=request.POST.get("guests", "0")
        )
        if registration.status == Registration.Status.REGISTERED:
            return _("You are registered. Your code is %(code)s.") % {"code": registration.code}
        return _("The event is full: you are on the waitlist.")

    return _act(request, event_id, action)


@login_required
@require_POST
def cancel(request: HttpRequest, event_id: int) -> HttpResponse:
    def action(member, event):
        registration = event.my_registration
        if registration is None:
            raise ValidationError(_("You have no registration to cancel for this event."))
        was_waiting = registration.status == Registration.Status.WAITLISTED
        event_cancel_registration(registration=registration, member=member)
        if was_waiting:
            return _("You have left the waitlist.")
        return _("Your registration is cancelled.")

    return _act(request, event_id, action)


@login_required
@require_POST
def accept(request: HttpRequest, event_id: int) -> HttpResponse:
    def action(member, event):
        registration = event.my_registration
        if registration is None:
            raise ValidationError(_("There is no seat offered to you for this event."))
        offer_accept(registration=registration, member=member)
        return _("The seat is yours. See you there!")

    return _act(request, event_id, action)


@login_required
@require_POST
def decline(request: HttpRequest, event_id: int) -> HttpResponse:
    def action(member, event):
        registration = event.my_registration
        if registration is None:
            raise ValidationError(_("There is no seat offered to you for this event."))
        offer_decline(registration=registration, member=member)
        return _("Thank you: the seat goes to the next in line.")

    return _act(request, event_id, action)


@login_required
@require_GET
def my_registrations(request: HttpRequest) -> HttpResponse:
    member, response = _member_or_redirect(request)
    if response:
        return response
    return render(
        request,
        "events/mine.html",
        {
            "registrations": registration_list_for_member(member=member),
            "attended": attended_list_for_member(member=member)[:50],
        },
    )


@login_required
@require_GET
def registration_ics_download(request: HttpRequest, registration_id: int) -> HttpResponse:
    member, response = _member_or_redirect(request)
    if response:
        return response
    registration = registration_get_for_member(member=member, registration_id=registration_id)
    response = HttpResponse(registration_ics(registration), content_type="text/calendar")
    response["Content-Disposition"] = f'attachment; filename="event-{registration.event_id}.ics"'
    return response


@login_required
@require_GET
def registration_qr(request: HttpRequest, registration_id: int) -> HttpResponse:
    member, response = _member_or_redirect(request)
    if response:
        return response
    registration = registration_get_for_member(member=member, registration_id=registration_id)
    image = qrcode.make(registration.qr_token, image_factory=qrcode.image.svg.SvgPathImage)
    buffer = BytesIO()
    image.save(buffer)
    response = HttpResponse(buffer.getvalue(), content_type="image/svg+xml")
    response["Cache-Control"] = "private, no-store"
    return response
