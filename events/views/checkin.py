"""The staff check-in page at the door (store staff and above: `events.checkin_event`). Phone
first: scan the QR code with the camera (jsQR, vendored), or find the registration by its code
or the member's name. Every scan carries a nonce made in the browser; scans made while the
network is down wait in the browser (localStorage) and are sent when it returns, marked offline,
so the server records them with their scan time and flags, never loses, what it would have
refused."""

from __future__ import annotations

import datetime
import json

from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from events.selectors.staff import (
    checkin_event_get,
    checkin_event_list,
    checkin_registration_search,
    checkin_summary,
)
from events.services.checkin import checkin_record

PERMISSION = "events.checkin_event"


@login_required
@permission_required(PERMISSION, raise_exception=True)
@require_GET
def checkin_events(request: HttpRequest) -> HttpResponse:
    return render(request, "events/checkin_events.html", {"events": checkin_event_list()})


@login_required
@permission_required(PERMISSION, raise_exception=True)
@require_GET
def checkin_page(request: HttpRequest, event_id: int) -> HttpResponse:
    event = checkin_event_get(event_id=event_id)
    query = request.GET.get("q", "").strip()[:80]
    matches = checkin_registration_search(event=event, query=query) if query else []
    return render(
        request,
        "events/checkin.html",
        {
            "event": event,
            "query": query,
            "matches": matches,
            "summary": checkin_summary(event=event),
        },
    )


def _scanned_at(value) -> datetime.datetime | None:
    if not value:
        return None
    parsed = parse_datetime(str(value))
    if parsed is None:
        return None
    if timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed)
    return parsed


@login_required
@permission_required(PERMISSION, raise_exception=True)
@require_POST
def checkin_scan(request: HttpRequest, event_id: int) -> JsonResponse:
    """One scan from the page (JSON: code, nonce, scanned_at, offline)."""
    event = checkin_event_get(event_id=event_id)
    try:
        data = json.loads(request.body or b"{}")
    except ValueError:
        data = None
    if not isinstance(data, dict):
        return JsonResponse({"ok": False, "message": _("Not a valid scan.")}, status=400)
    try:
        checkin = checkin_record(
            event=event,
            code=str(data.get("code") or ""),
            nonce=str(data.get("nonce") or ""),
            scanned_at=_scanned_at(data.get("scanned_at")),
            staff=request.user,
            offline=bool(data.get("offline")),
        )
    except ValidationError as error:
        return JsonResponse(
            {"ok": False, "code": error.code, "message": error.messages[0]}, status=400
        )
    registration = checkin.registration
    who = registration.member.full_name if registration is not None else checkin.code
    return JsonResponse(
        {
            "ok": checkin.accepted,
            "flagged": checkin.flagged,
            "message": checkin.flag_reason
            or _("Welcome, %(name)s!") % {"name": who}
            + (
                " " + _("Guests: %(count)d") % {"count": registration.guests}
                if registration is not None and registration.guests
                else ""
            ),
            "name": who,
            "guests": registration.guests if registration is not None else 0,
            "nonce": checkin.nonce,
        }
    )
