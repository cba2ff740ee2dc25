"""Writes that belong to no single app: the audit log."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.http import HttpRequest

from .models import AuditLogEntry
from .net import client_address


def client_ip(request: HttpRequest | None) -> str | None:
    """The client's address (core.net.client_address: X-Forwarded-For only from trusted proxies)."""
    return client_address(request)


def audit_log(
    *,
    action: str,
    actor=None,
    target: models.Model | None = None,
    request: HttpRequest | None = None,
    details: dict[str, Any] | None = None,
) -> AuditLogEntry:
    """Record that `actor` (a user, or None for the system) did `action` to `target`.

    With a request and no actor, the request's user is the actor.
    """
    if actor is None and request is not None and request.user.is_authenticated:
        actor = request.user
    return AuditLogEntry.objects.create(
        actor=actor,
        actor_label=str(actor.get_username()) if actor is not None else "system",
        action=action,
        target_type=target._meta.label_lower if target is not None else "",
        target_id=str(target.pk) if target is not None else "",
        target_repr=str(target)[:200] if target is not None else "",
        ip_address=client_ip(request),
        details=details or {},
    )


# --- The dashboard's rollup ---------------------------------------------------------------------


def _tile_data_now(tile, request: HttpRequest, period) -> dict[str, Any] | None:
    """The tile's data, figures formatted in the active language, as JSON-ready values."""
    import json

    from django.core.serializers.json import DjangoJSONEncoder
    from django.utils.formats import number_format

    data = tile.data(request, period)
    if data is None:
        return None
    figures = []
    for figure in data.get("figures", []):
        value = figure.get("value")
        display = figure.get("display")
        if display is None:
            display = number_format(value, force_grouping=True) if value is not None else "–"
        figures.append({**figure, "display": display})
    return json.loads(json.dumps({**data, "figures": figures}, cls=DjangoJSONEncoder))


def dashboard_tiles_data(
    *, request: HttpRequest, period, tiles: list, now=None
) -> dict[str, dict[str, Any] | None]:
    """{tile key: data} for the tiles given (already filtered by permission), in the active
    language: read from the rollup in one query; a tile missing there, or older than
    DASHBOARD_REFRESH_SECONDS, is computed now and stored."""
    from datetime import timedelta

    from django.conf import settings
    from django.utils import timezone, translation

    from .models import DashboardTileData

    now = now or timezone.now()
    language = (translation.get_language() or settings.LANGUAGE_CODE)[:10]
    fresh_after = now - timedelta(seconds=settings.DASHBOARD_REFRESH_SECONDS)
    stored = {
        row.tile: row
        for row in DashboardTileData.objects.filter(
            period=period.key, language=language, tile__in=[t.key for t in tiles if t.cached]
        )
    }
    result: dict[str, dict[str, Any] | None] = {}
    for tile in tiles:
        row = stored.get(tile.key)
        if tile.cached and row is not None and row.computed_at >= fresh_after:
            result[tile.key] = row.data
            continue
        result[tile.key] = _tile_data_now(tile, request, period)
        if tile.cached:
            DashboardTileData.objects.update_or_create(
                tile=tile.key,
                period=period.key,
                language=language,
                defaults={"data": result[tile.key], "computed_at": now},
            )
    return result


def dashboard_refresh() -> int:
    """The periodic task's body: recompute every cached tile for every period and language (each
    tile a handful of set-based queries). Returns the number of rows written."""
    from django.conf import settings
    from django.contrib.auth.models import AnonymousUser
    from django.utils import timezone, translation

    from .dashboard import PERIODS, dashboard_period, dashboard_tiles
    from .models import DashboardTileData

    written = 0
    for key in PERIODS:
        period = dashboard_period(key)
        # One request per period for every language, so tiles that memoise their queries on it
        # (core.dashboard.tile_memo) query once and only word the figures per language.
        request = HttpRequest()  # tiles read only the language (their data is not per user)
        request.user = AnonymousUser()
        for language, _name in settings.LANGUAGES:
            with translation.override(language):
                request.LANGUAGE_CODE = language
                for tile in dashboard_tiles():
                    if not tile.cached:
                        continue
                    data = _tile_data_now(tile, request, period)
                    DashboardTileData.objects.update_or_create(
                        tile=tile.key,
                        period=key,
                        language=language,
                        defaults={"data": data, "computed_at": timezone.now()},
                    )
                    written += 1
    return written
