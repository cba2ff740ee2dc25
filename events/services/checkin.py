"""Check-in at the door. Each scan carries a nonce made by the scanning page: the same scan sent
twice (a retry, an offline queue replayed) is one check-in, found again by its nonce.

A live scan that must be refused (a code of another event or of a cancelled registration, a
second entry) raises ValidationError and writes nothing. A scan made offline (`offline=True`)
already happened at the door: it is recorded with its scan time and, if it would have been
refused, flagged with the reason for staff to review, never lost.

An accepted scan marks the registration attended and earns the event's points once
(rewards' points_earn_for_activity, keyed by the event)."""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.formats import time_format
from django.utils.translation import gettext_lazy as _

from events.models import CheckIn, Event, Registration
from rewards.models import Activity
from rewards.services.activities import points_earn_for_activity

REFUSALS: dict[str, Any] = {
    "unknown_code": _("No registration has this code."),
    "other_event": _("This code belongs to another event."),
    "not_registered": _("This registration is cancelled or not confirmed."),
    "already_checked_in": _("Already checked in at %(time)s."),
    "nonce_missing": _("The scan has no nonce."),
    "code_missing": _("Enter or scan a code."),
    "event_not_open": _("Check-in is only for published events."),
}


def _refusal(code: str, **params: Any) -> ValidationError:
    return ValidationError(REFUSALS[code], code=code, params=params or None)


def _problem(event: Event, registration: Registration | None) -> ValidationError | None:
    if registration is None:
        return _refusal("unknown_code")
    if registration.event_id != event.pk:
        return _refusal("other_event")
    if registration.status != Registration.Status.REGISTERED:
        return _refusal("not_registered")
    if registration.attended_at is not None:
        return _refusal(
            "already_checked_in",
            time=time_format(timezone.localtime(registration.attended_at), "H:i"),
        )
    return None


def _message(error: ValidationError) -> str:
    return str(error.message % error.params if error.params else error.message)


def checkin_record(
    *,
    event: Event,
    code: str,
    nonce: str,
    staff=None,
    scanned_at: datetime.datetime | None = None,
    offline: bool = False,
) -> CheckIn:
    """Record one scan of `code` at `event`; see the module docstring."""
    code = (code or "").strip()
    nonce = (nonce or "").strip()[:64]
    if not nonce:
        raise _refusal("nonce_missing")
    if not code:
        raise _refusal("code_missing")
    if event.status not in (Event.Status.PUBLISHED, Event.Status.FINISHED):
        raise _refusal("event_not_open")
    now = timezone.now()
    scanned_at = min(scanned_at or now, now)
    with transaction.atomic():
        registration = (
            Registration.objects.select_for_update(of=("self",))
            .select_related("member")
            .filter(Q(code=code.upper()) | Q(qr_token=code))
            .first()
        )
        existing = CheckIn.objects.filter(nonce=nonce).first()
        if existing is not None:
            return existing
        problem = _problem(event, registration)
        if problem is not None and not offline:
            raise problem
        checkin = CheckIn(
            event=event,
            registration=registration
            if registration and registration.event_id == event.pk
            else None,
            code=code[:64],
            nonce=nonce,
            scanned_at=scanned_at,
            received_at=now,
            staff=staff,
            accepted=problem is None,
            flagged=problem is not None,
            flag_reason=_message(problem)[:200] if problem is not None else "",
        )
        try:
            with transaction.atomic():
                checkin.save()
        except IntegrityError:  # the same nonce, saved by a scan that got here first
            return CheckIn.objects.get(nonce=nonce)
        if problem is None:
            assert registration is not None
            registration.attended_at = scanned_at
            registration.save(update_fields=["attended_at"])
            points_earn_for_activity(
                member=registration.member,
                activity=Activity.EVENT_ATTENDED,
                cause_key=f"event:{event.pk}",
                cause=registration,
                points=event.attendance_points or None,
            )
    return checkin
