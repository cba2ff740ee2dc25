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


def admin_url(name: str, *args: Any) -> str:
    """The admin page an entry links to, or "" when that URL is not there (the admin not
    mounted): for TimelineEntry.url and other staff links that apps build."""
    from django.urls import NoReverseMatch, reverse

    try:
        return reverse(name, args=list(args))
    except NoReverseMatch:
        return ""


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


# --- Panels at the top of the member 360 page ----------------------------------------------------


@dataclass(frozen=True)
class Member360Panel:
    """A panel an app adds to the member 360 page (rewards: balance, tier, vouchers and the
    "adjust points" button). `context(request, member)` returns the template's context, or None
    to leave it out; a constant, small number of queries."""

    key: str
    template: str
    context: Callable[..., dict[str, Any] | None]
    order: int = 100


_PANELS: dict[str, Member360Panel] = {}


def member360_panel_register(
    *, key: str, template: str, context: Callable[..., dict[str, Any] | None], order: int = 100
) -> None:
    _PANELS[key] = Member360Panel(key=key, template=template, context=context, order=order)


def member360_panel_unregister(key: str) -> None:
    _PANELS.pop(key, None)


def member360_panels(request: Any, member: Any) -> list[dict[str, Any]]:
    """The panels with something to show, in order: [{"key", "template", "context"}]."""
    shown = []
    for panel in sorted(_PANELS.values(), key=lambda p: (p.order, p.key)):
        context = panel.context(request, member)
        if context is not None:
            shown.append({"key": panel.key, "template": panel.template, "context": context})
    return shown
