"""Campaign goals: how "the goal happened within the window" is asked of the database.

`goal_register(kind, func)`: `func(*, member_ref, start, end) -> Exists` (an EXISTS for the
member behind `member_ref`, an OuterRef, between `start` and `end`, both expressions). Campaigns
registers purchase and redemption; an app above campaigns (events: registrations) registers its
own from its AppConfig.ready(), so campaigns never imports it. A click needs no query.
"""

from __future__ import annotations

from collections.abc import Callable

from django.db.models import Exists

GoalQuery = Callable[..., Exists]

_goals: dict[str, GoalQuery] = {}


def goal_register(kind: str, func: GoalQuery) -> GoalQuery:
    _goals[kind] = func
    return func


def goal_query(kind: str) -> GoalQuery | None:
    return _goals.get(kind)
