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
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
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
) -> None:
    _check_group(group)
    _tiles[key] = DashboardTile(
        key=key, title=title, group=group, data=data, permission=permission, order=order
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
