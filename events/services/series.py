"""Events made by staff: one event with its checks, or a recurring series in one step ("every
second Thursday for ten weeks"). A series is counted in wall-clock time in the club's time zone,
so 18:00 stays 18:00 across the daylight-saving change (the UTC instant moves by an hour); an
occurrence whose time does not exist (the hour skipped in spring) is refused with the date."""

from __future__ import annotations

import datetime
import uuid
import zoneinfo
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from core.services import audit_log
from events.models import Event, in_dst_gap

MAX_OCCURRENCES = 104

REFUSALS: dict[str, Any] = {
    "series_count": _("A series has between 1 and %(max)d events."),
    "series_every": _("Repeat every 1 to 52 weeks."),
    "series_ends": _("The end time must be after the start time."),
    "series_dst_gap": _("%(date)s at %(time)s does not exist: the clocks skip that hour."),
}


def local_datetime(day: datetime.date, time: datetime.time) -> datetime.datetime:
    """`day` at wall-clock `time` in the club's time zone, as an aware datetime; ValidationError
    when that time does not exist there (the hour skipped when summer time starts)."""
    naive = datetime.datetime.combine(day, time)
    if in_dst_gap(naive):
        raise ValidationError(
            REFUSALS["series_dst_gap"],
            code="series_dst_gap",
            params={"date": date_format(day, "DATE_FORMAT"), "time": time.strftime("%H:%M")},
        )
    return naive.replace(tzinfo=zoneinfo.ZoneInfo(settings.TIME_ZONE))


def series_dates(*, first: datetime.date, every_weeks: int, count: int) -> list[datetime.date]:
    if not 1 <= count <= MAX_OCCURRENCES:
        raise ValidationError(
            REFUSALS["series_count"], code="series_count", params={"max": MAX_OCCURRENCES}
        )
    if not 1 <= every_weeks <= 52:
        raise ValidationError(REFUSALS["series_every"], code="series_every")
    return [first + datetime.timedelta(weeks=every_weeks * n) for n in range(count)]


def event_series_create(
    *,
    fields: dict[str, Any],
    first: datetime.date,
    starts: datetime.time,
    ends: datetime.time,
    every_weeks: int,
    count: int,
    tiers: Any = (),
    actor=None,
) -> list[Event]:
    """Create `count` events like `fields` (Event field values, without the times), the first on
    `first`, then every `every_weeks` weeks, from `starts` to `ends` local time. All or none:
    each event is checked (full_clean) before any is saved."""
    if ends <= starts:
        raise ValidationError(REFUSALS["series_ends"], code="series_ends")
    key = uuid.uuid4().hex[:12]
    events = []
    for day in series_dates(first=first, every_weeks=every_weeks, count=count):
        event = Event(
            **fields,
            starts_at=local_datetime(day, starts),
            ends_at=local_datetime(day, ends),
            series_key=key,
        )
        event.full_clean(exclude=["tiers"])
        events.append(event)
    with transaction.atomic():
        for event in events:
            event.save()
            if tiers:
                event.tiers.set(tiers)
        audit_log(
            action="event.series_create",
            actor=actor,
            target=events[0],
            details={"series": key, "count": len(events)},
        )
    return events
