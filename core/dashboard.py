"""The staff back office's registries, so the dashboard and the admin navigation never name an
app: each app registers from AppConfig.ready().

**Groups.** The back office is organised by job: `GROUPS` below. `backoffice_model_register(
model="events.Event", group="club_life")` files an admin model under a group; models not
registered fall under Settings (club admins only).

**Dashboard tiles.** `dashboard_tile_register(key=..., title=..., group=..., data=..., permission=
...)`. `data(request, period)` returns the tile's data, or None to leave it out; it must run
set-based queries (a handful, whatever the club's size), never a Python loop over members. The
dashboard renders every tile with one template from this shape:

    {
        "figures": [                      # big numbers, each linking to the list behind it
            {"label": _("Registrations"), "value": 1234, "display": "1 234",   # display optional
             "url": "/admin/events/registration/?...", "hint": _("in the period")},
        ],
        "chart": {                        # optional
            "type": "line" | "bar",
            "labels": ["2026-W40", ...],  # x axis
            "series": [{"name": _("Sent"), "values": [12, 30, ...]}],
        },
        "rows": [                         # optional small table: top-N lists
            {"label": "Spa evening", "value": "42", "url": "..."},
        ],
        "note": _("optional one line under the tile"),
    }

`permission` is a permission codename ("events.view_event"): the tile is shown only to staff who
have it. `Period` is the dashboard's selected period.

**Rollup.** A tile's data is kept per period and language in a table (core.DashboardTileData),
refreshed every DASHBOARD_REFRESH_SECONDS by a periodic task and computed on the spot only when
missing or older than that, so the dashboard costs one query for all its tiles at any size. The
data must therefore not depend on who looks (the permission decides whether it is shown at all);
a tile that must be live registers with `cached=False`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.http import HttpRequest
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

GROUPS: dict[str, str | Promise] = {
    "members": _("Members"),
    "loyalty": _("Loyalty"),
    "club_life": _("Club life"),
    "communication": _("Communication"),
    "reports": _("Reports"),
    "settings": _("Settings"),
}


@dataclass(frozen=True)
class Period:
    start: datetime
    end: datetime
    key: str  # the selector's value, e.g. "30d", "90d", "365d"
    label: str | Promise


TileData = Callable[[HttpRequest, Period], dict[str, Any] | None]


@dataclass(frozen=True)
class DashboardTile:
    key: str
    title: str | Promise
    group: str
    data: TileData
    permission: str | None = None
    order: int = 100
    cached: bool = True


@dataclass(frozen=True)
class BackofficeModel:
    model: str  # "app_label.ModelName"
    group: str
    order: int = 100


_tiles: dict[str, DashboardTile] = {}
_models: dict[str, BackofficeModel] = {}


def _check_group(group: str) -> None:
    if group not in GROUPS:
        raise ValueError(f"Unknown back-office group {group!r}; one of {sorted(GROUPS)}.")


def dashboard_tile_register(
    *,
    key: str,
    title: str | Promise,
    group: str,
    data: TileData,
    permission: str | None = None,
    order: int = 100,
    cached: bool = True,
) -> None:
    _check_group(group)
    _tiles[key] = DashboardTile(
        key=key,
        title=title,
        group=group,
        data=data,
        permission=permission,
        order=order,
        cached=cached,
    )


def dashboard_tile_unregister(key: str) -> None:
    _tiles.pop(key, None)


def dashboard_tiles() -> list[DashboardTile]:
    return sorted(_tiles.values(), key=lambda t: (list(GROUPS).index(t.group), t.order, t.key))


def backoffice_model_register(*, model: str, group: str, order: int = 100) -> None:
    _check_group(group)
    _models[model.lower()] = BackofficeModel(model=model, group=group, order=order)


def backoffice_model_group(model: str) -> BackofficeModel:
    """The group an admin model is filed under ("app_label.modelname"); Settings if none."""
    return _models.get(model.lower()) or BackofficeModel(model=model, group="settings", order=900)


# --- Back-office pages: staff pages that are not a model's list (the till) ---------------------


@dataclass(frozen=True)
class BackofficePage:
    """A staff page under /admin/<key>/, listed in its group's navigation for staff with
    `permission`. `landing`: staff who may use it and see no dashboard tile land on it."""

    key: str
    title: str | Promise
    group: str
    view: Callable[..., Any]
    permission: str
    order: int = 100
    landing: bool = False


_pages: dict[str, BackofficePage] = {}


def backoffice_page_register(
    *,
    key: str,
    title: str | Promise,
    group: str,
    view: Callable[..., Any],
    permission: str,
    order: int = 100,
    landing: bool = False,
) -> None:
    _check_group(group)
    _pages[key] = BackofficePage(
        key=key,
        title=title,
        group=group,
        view=view,
        permission=permission,
        order=order,
        landing=landing,
    )


def backoffice_pages() -> list[BackofficePage]:
    return sorted(_pages.values(), key=lambda p: (p.order, p.key))


# --- The period selector and weekly buckets, shared by every tile ------------------------------

PERIODS: dict[str, tuple[int, str | Promise]] = {
    "7d": (7, _("Last 7 days")),
    "30d": (30, _("Last 30 days")),
    "90d": (90, _("Last 90 days")),
    "365d": (365, _("Last 12 months")),
}
DEFAULT_PERIOD = "90d"


def dashboard_period(key: str | None, *, now: datetime | None = None) -> Period:
    """The period for the selector's value (an unknown value gives the default)."""
    from django.utils import timezone

    key = key if key in PERIODS else DEFAULT_PERIOD
    days, label = PERIODS[key]
    end = now or timezone.now()
    return Period(start=end - timedelta(days=days), end=end, key=key, label=label)


def period_weeks(period: Period) -> list[date]:
    """The Mondays (local dates) of the weeks the period touches, oldest first: the x axis of the
    weekly charts. Rows grouped with TruncWeek land on these dates."""
    from django.utils import timezone

    first = timezone.localdate(period.start)
    last = timezone.localdate(period.end)
    monday = first - timedelta(days=first.weekday())
    weeks = []
    while monday <= last:
        weeks.append(monday)
        monday += timedelta(days=7)
    return weeks


def week_label(monday: date) -> str:
    """ISO week label, "v. 48" in Swedish, "wk 48" in English."""
    from django.utils.translation import gettext

    return gettext("wk %(week)d") % {"week": monday.isocalendar()[1]}


def weekly_values(weeks: list[date], rows: Any, *, key: str = "week", value: str = "total") -> list:
    """Values per week from grouped rows ({key: datetime|date, value: n}); missing weeks are 0."""
    found: dict[date, Any] = {}
    for row in rows:
        at = row[key]
        day = at.date() if isinstance(at, datetime) else at
        found[day] = (found.get(day) or 0) + (row[value] or 0)
    return [found.get(week, 0) for week in weeks]


def money(amount: Any) -> str:
    """Whole kronor with grouping in the active language: "12 345 kr"."""
    from decimal import Decimal

    from django.utils.formats import number_format
    from django.utils.translation import gettext

    return gettext("%(amount)s kr") % {
        "amount": number_format(round(Decimal(amount)), 0, force_grouping=True)
    }


def percent(rate: float | None) -> str:
    """A share (0.123) as a percentage in the active language: "12,3 %"."""
    from django.utils.formats import number_format
    from django.utils.translation import gettext

    if rate is None:
        return "–"
    return gettext("%(percent)s %%") % {"percent": number_format(round(rate * 100, 1), 1)}


def tile_memo(request: HttpRequest, key: str, compute: Callable[[], Any]) -> Any:
    """`compute()` once per request and key: tiles sharing a query (or the rollup refreshing
    the same period in each language) run it once."""
    memo = request.__dict__.setdefault("_dashboard_memo", {})
    if key not in memo:
        memo[key] = compute()
    return memo[key]
