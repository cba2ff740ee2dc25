"""Portal navigation that each app fills in: `portal_nav_register(...)` from AppConfig.ready(),
so the layout (templates/base.html) never names an app's pages."""

from __future__ import annotations

from dataclasses import dataclass

from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils.functional import Promise


@dataclass(frozen=True)
class NavItem:
    label: str | Promise
    url_name: str
    order: int = 100
    members_only: bool = True


@dataclass(frozen=True)
class NavLink:
    label: str | Promise
    url: str
    current: bool


_items: dict[str, NavItem] = {}


def portal_nav_register(
    *, label: str | Promise, url_name: str, order: int = 100, members_only: bool = True
) -> None:
    _items[url_name] = NavItem(
        label=label, url_name=url_name, order=order, members_only=members_only
    )


def portal_nav_links(request: HttpRequest) -> list[NavLink]:
    authenticated = request.user.is_authenticated
    links = []
    for item in sorted(_items.values(), key=lambda i: (i.order, i.url_name)):
        if item.members_only and not authenticated:
            continue
        try:
            url = reverse(item.url_name)
        except NoReverseMatch:
            continue
        current = request.path == url if url == "/" else request.path.startswith(url)
        links.append(NavLink(label=item.label, url=url, current=current))
    return links
