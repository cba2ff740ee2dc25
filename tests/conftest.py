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
