"""The staff calendar's windows: a week, a month or a quarter (the three-month plan), and the
entries of every registered provider (campaigns, triggers, events …) grouped by day."""

from __future__ import annotations

import datetime
import zoneinfo
from dataclasses import dataclass

from django.conf import settings

from core.calendar import CalendarEntry, calendar_entries

VIEWS = ("week", "month", "quarter")


@dataclass(frozen=True)
class CalendarWindow:
    view: str
    first: datetime.date
    last: datetime.date  # inclusive
    previous: datetime.date
    following: datetime.date


def _month_start(day: datetime.date) -> datetime.date:
    return day.replace(day=1)


def _add_months(day: datetime.date, months: int) -> datetime.date:
    index = day.year * 12 + day.month - 1 + months
    return datetime.date(index // 12, index % 12 + 1, 1)


def calendar_window(*, view: str, around: datetime.date) -> CalendarWindow:
    if view not in VIEWS:
        view = "month"
    if view == "week":
        first = around - datetime.timedelta(days=around.weekday())
        following = first + datetime.timedelta(days=7)
        return CalendarWindow(
            view,
            first,
            following - datetime.timedelta(days=1),
            first - datetime.timedelta(days=7),
            following,
        )
    months = 1 if view == "month" else 3
    first = _month_start(around)
    if view == "quarter":
        first = first.replace(month=(first.month - 1) // 3 * 3 + 1)
    following = _add_months(first, months)
    return CalendarWindow(
        view, first, following - datetime.timedelta(days=1), _add_months(first, -months), following
    )


def calendar_days(
    *, window: CalendarWindow, user
) -> list[tuple[datetime.date, list[CalendarEntry]]]:
    """Every day of the window with its entries (days without entries included for week and
    month; only days with entries for a quarter)."""
    zone = zoneinfo.ZoneInfo(settings.TIME_ZONE)
    start = datetime.datetime.combine(window.first, datetime.time(), tzinfo=zone)
    end = datetime.datetime.combine(window.following, datetime.time(), tzinfo=zone)
    by_day: dict[datetime.date, list[CalendarEntry]] = {}
    for entry in calendar_entries(start=start, end=end, user=user):
        by_day.setdefault(entry.start.astimezone(zone).date(), []).append(entry)
    days = []
    day = window.first
    while day <= window.last:
        if window.view != "quarter" or day in by_day:
            days.append((day, by_day.get(day, [])))
        day += datetime.timedelta(days=1)
    return days
