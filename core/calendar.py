"""The staff calendar's registry: campaigns, triggers, events … each app provides the entries in a
window from AppConfig.ready() with `calendar_provider_register(key, func)`, so the calendar page
never names an app. A provider runs a constant number of queries for the window."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.utils.functional import Promise


@dataclass(frozen=True)
class CalendarEntry:
    kind: str  # "campaign", "trigger", "event" …: the calendar colours and filters by it
    title: str
    start: datetime
    end: datetime | None = None
    url: str = ""  # the staff page of the entry
    state: str | Promise = ""  # "planned", "sent", "published" … shown as a word
    detail: str | Promise = ""  # one line: "Segment: 4 210 members" or "Open rate 41 %"


CalendarProvider = Callable[..., Iterable[CalendarEntry]]  # (*, start, end, user) -> entries

_providers: dict[str, CalendarProvider] = {}


def calendar_provider_register(key: str, func: CalendarProvider) -> CalendarProvider:
    _providers[key] = func
    return func


def calendar_provider_unregister(key: str) -> None:
    _providers.pop(key, None)


def calendar_entries(*, start: datetime, end: datetime, user: Any) -> list[CalendarEntry]:
    entries: list[CalendarEntry] = []
    for key in sorted(_providers):
        entries.extend(_providers[key](start=start, end=end, user=user))
    return sorted(entries, key=lambda e: (e.start, e.kind, e.title))
