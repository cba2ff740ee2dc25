"""The club's admin site: titled with the club's name; staff without MFA are sent to set it up.

The back office is organised by job (core.dashboard.GROUPS): the navigation lists each admin
model under the group its app registered it in, plus the registered staff pages (the till); the
home is the dashboard of registered tiles, for the period chosen. Settings (where every model no
app filed elsewhere ends up: tokens, authenticators, periodic tasks, the outbox) is shown only to
staff with core.view_settings, the club admins."""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, path, reverse
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .charts import chart_svg
from .dashboard import (
    GROUPS,
    PERIODS,
    backoffice_model_group,
    backoffice_pages,
    dashboard_period,
    dashboard_tiles,
)
from .services import dashboard_tiles_data

logger = logging.getLogger(__name__)
SETTINGS_PERMISSION = "core.view_settings"


def user_has_mfa(user) -> bool:
    from allauth.mfa.models import Authenticator

    return Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()


def staff_mfa_missing(request: HttpRequest) -> bool:
    """True when the setting requires MFA of staff and this staff user has none yet."""
    user = request.user
    return bool(
        settings.STAFF_MFA_REQUIRED
        and user.is_authenticated
        and user.is_active
        and user.is_staff
        and not user_has_mfa(user)
    )


def _figure(figure: dict[str, Any]) -> dict[str, Any]:
    value = figure.get("value")
    display = figure.get("display")
    if display is None:
        display = number_format(value, force_grouping=True) if value is not None else "–"
    return {**figure, "display": display}


class LojalAdminSite(admin.AdminSite):
    site_header = gettext_lazy("%(club)s administration") % {"club": settings.CLUB_NAME}
    site_title = settings.CLUB_NAME
    index_title = gettext_lazy("Dashboard")
    site_url = "/"
    index_template = "admin/dashboard/index.html"

    def admin_view(self, view, cacheable=False):
        inner = super().admin_view(view, cacheable)

        def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if staff_mfa_missing(request):
                messages.warning(
                    request,
                    _("Staff must turn on two-factor authentication before using the admin."),
                )
                return redirect("mfa_activate_totp")
            return inner(request, *args, **kwargs)

        wrapper.admin_site = self  # type: ignore[attr-defined]
        return wrapper

    # --- Staff pages ---------------------------------------------------------------------------

    def get_urls(self):
        pages = [
            path(f"{page.key}/", self.admin_view(self._page_view(page)), name=page.key)
            for page in backoffice_pages()
        ]
        return [*pages, *super().get_urls()]

    @staticmethod
    def _page_view(page):
        def view(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if not request.user.has_perm(page.permission):
                raise PermissionDenied
            return page.view(request, *args, **kwargs)

        return view

    # --- Navigation by job ---------------------------------------------------------------------

    def get_app_list(self, request: HttpRequest, app_label: str | None = None):
        if app_label is not None:
            return super().get_app_list(request, app_label)
        app_dict = self._build_app_dict(request)
        may_see_settings = request.user.has_perm(SETTINGS_PERMISSION)
        grouped: dict[str, list[tuple[int, str, dict[str, Any]]]] = {key: [] for key in GROUPS}
        for app in app_dict.values():
            for model in app["models"]:
                filed = backoffice_model_group(f"{app['app_label']}.{model['object_name']}")
                if filed.group == "settings" and not may_see_settings:
                    continue
                grouped[filed.group].append((filed.order, str(model["name"]), model))
        for page in backoffice_pages():
            if not request.user.has_perm(page.permission):
                continue
            try:
                url = reverse(f"{self.name}:{page.key}")
            except NoReverseMatch:  # pragma: no cover - registered after the URLs were built
                continue
            entry = {
                "name": page.title,
                "object_name": page.key,
                "admin_url": url,
                "add_url": None,
                "view_only": True,
                "perms": {"view": True},
            }
            grouped[page.group].append((page.order, str(page.title), entry))
        return [
            {
                "name": label,
                "app_label": key,
                "app_url": "",
                "has_module_perms": True,
                "models": [
                    model for _order, _name, model in sorted(grouped[key], key=lambda m: m[:2])
                ],
            }
            for key, label in GROUPS.items()
            if grouped[key]
        ]

    # --- The dashboard -------------------------------------------------------------------------

    def landing_page(self, request: HttpRequest) -> str | None:
        for page in backoffice_pages():
            if page.landing and request.user.has_perm(page.permission):
                return reverse(f"{self.name}:{page.key}")
        return None

    def dashboard_tiles_for(self, request: HttpRequest, period) -> list[dict[str, Any]]:
        visible = [
            tile
            for tile in dashboard_tiles()
            if not tile.permission or request.user.has_perm(tile.permission)
        ]
        if not visible:
            return []
        found = dashboard_tiles_data(request=request, period=period, tiles=visible)
        rendered = []
        for tile in visible:
            data = found.get(tile.key)
            if data is None:
                continue
            chart = data.get("chart")
            rendered.append(
                {
                    "key": tile.key,
                    "title": tile.title,
                    "group": GROUPS[tile.group],
                    "figures": [_figure(f) for f in data.get("figures", [])],
                    "chart": chart_svg(chart) if chart else None,
                    "rows": data.get("rows", []),
                    "note": data.get("note", ""),
                }
            )
        return rendered

    def index(self, request: HttpRequest, extra_context=None):
        period = dashboard_period(request.GET.get("period"))
        tiles = self.dashboard_tiles_for(request, period)
        if not tiles:
            landing = self.landing_page(request)
            if landing:
                return redirect(landing)
        app_list = self.get_app_list(request)
        context = {
            **self.each_context(request),
            "title": self.index_title,
            "subtitle": None,
            "app_list": app_list,
            "tiles": tiles,
            "period": period,
            "periods": [(key, label) for key, (_days, label) in PERIODS.items()],
            **(extra_context or {}),
        }
        request.current_app = self.name
        return TemplateResponse(request, self.index_template, context)
