"""Shared fixtures. Tests marked `postgres`, `redis` or `chromium` need the real thing: without it
they are skipped with the reason, and with LOJAL_REQUIRE_ALL=1 (CI) they fail instead."""

from __future__ import annotations

import os
import shutil

import pytest
from django.conf import settings
from rest_framework.test import APIClient

from tests.members.factories import StaffFactory, UserFactory

REQUIRE_ALL = os.environ.get("LOJAL_REQUIRE_ALL") == "1"


def _missing(marker: str) -> str | None:
    if marker == "postgres" and not settings.DATABASES["default"]["ENGINE"].endswith("postgresql"):
        return "needs PostgreSQL: set DATABASE_URL=postgres://..."
    if marker == "redis" and not os.environ.get("REDIS_URL"):
        return "needs Redis: set REDIS_URL=redis://..."
    if marker == "chromium" and not shutil.which("chromium"):
        return "needs Chromium at /usr/bin/chromium (apt-get install chromium)"
    return None


def pytest_runtest_setup(item: pytest.Item) -> None:
    for marker in ("postgres", "redis", "chromium"):
        if item.get_closest_marker(marker) is None:
            continue
        reason = _missing(marker)
        if reason and REQUIRE_ALL:
            pytest.fail(f"{reason} (LOJAL_REQUIRE_ALL=1 forbids skipping)")
        if reason:
            pytest.skip(reason)


@pytest.fixture(autouse=True)
def _default_language():
    """Each test starts in the default language: a view that switched the thread's language
    (the portal's language switch does) must not leak it into the next test."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Rate limits and other cached state never leak from one test into the next."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def user(db):
    return UserFactory()


@pytest.fixture
def staff_user(db):
    return StaffFactory()


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


@pytest.fixture
def member_api_client(api_client, user) -> APIClient:
    api_client.force_authenticate(user=user)
    return api_client


@pytest.fixture(autouse=True)
def _roles_kept_through_transactional_tests(request):
    """Transactional tests (django_db(transaction=True), live_server) end with a flush of every
    table; see roles_survive_flush. Each one starts with the roles put back."""
    marker = request.node.get_closest_marker("django_db")
    transactional = marker is not None and bool(
        marker.kwargs.get("transaction", marker.args[0] if marker.args else False)
    )
    if transactional or {"transactional_db", "live_server"} & set(request.fixturenames):
        restore = request.getfixturevalue("roles_survive_flush")
        request.getfixturevalue("transactional_db")
        restore()


def _roles_restore(snapshot: dict[str, list[tuple[str, str]]]) -> None:
    from django.contrib.auth.models import Group, Permission

    for name, permissions in snapshot.items():
        group, _created = Group.objects.get_or_create(name=name)
        group.permissions.add(
            *[
                Permission.objects.get(content_type__app_label=app_label, codename=codename)
                for app_label, codename in permissions
            ]
        )


@pytest.fixture(scope="session")
def roles_survive_flush(django_db_setup, django_db_blocker):
    """A transactional test's flush empties every table, and the staff role groups come from a
    data migration that a flush does not re-run. This snapshots the groups with their permissions
    before the first such test; each transactional test puts them back before it runs (the
    returned function), and the end of the session puts them back for later runs on a reused
    database (--reuse-db)."""
    from django.contrib.auth.models import Group

    with django_db_blocker.unblock():
        snapshot = {
            group.name: list(group.permissions.values_list("content_type__app_label", "codename"))
            for group in Group.objects.prefetch_related("permissions")
        }
    yield lambda: _roles_restore(snapshot)
    with django_db_blocker.unblock():
        _roles_restore(snapshot)


@pytest.fixture
def staff_api_client(db) -> APIClient:
    """An API client of a superuser (every permission)."""
    client = APIClient()
    client.force_authenticate(user=StaffFactory(is_superuser=True))
    return client
