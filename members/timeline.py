"""The member timeline registry: everything that happened to a member, from every app.

Each app registers a provider, `func(*, member, limit) -> list[TimelineEntry]`, from its
AppConfig.ready() (rewards: points and redemptions; events: registrations; forums: posts;
campaigns: messages; feedback: answers), so `members` never imports them. A provider returns
at most `limit` of its newest entries and must run a constant number of queries (one, ideally)
whatever the member's history, so the member 360 page stays cheap.
`members.selectors.timeline.member_timeline` merges them, newest first.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime.datetime
    kind: str  # a short machine name, e.g. "purchase", "consent", "points"
    title: Any  # what happened, for people (translated)
    detail: Any = ""
    url: str = ""


TimelineProvider = Callable[..., list[TimelineEntry]]

_PROVIDERS: list[TimelineProvider] = []


def timeline_provider_register(func: TimelineProvider) -> TimelineProvider:
    """Add a provider (usable as a decorator); registering the same function twice is a no-op."""
    if func not in _PROVIDERS:
        _PROVIDERS.append(func)
    return func


def timeline_provider_unregister(func: TimelineProvider) -> None:
    if func in _PROVIDERS:
        _PROVIDERS.remove(func)


def timeline_providers() -> list[TimelineProvider]:
    return list(_PROVIDERS)
