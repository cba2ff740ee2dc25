"""core.api.throttling: API rate limits as one counter per user (or address) and window."""

from __future__ import annotations

import os

import pytest
from django.utils import translation
from rest_framework.response import Response
from rest_framework.test import APIRequestFactory, force_authenticate
from rest_framework.views import APIView

from core.api import throttling
from tests.members.factories import UserFactory

pytestmark = pytest.mark.django_db


class ThreePerMinute(throttling.UserRateThrottle):
    rate = "3/min"


class AnonTwoPerMinute(throttling.AnonRateThrottle):
    rate = "2/min"


class PingApi(APIView):
    permission_classes: list = []
    throttle_classes = [ThreePerMinute, AnonTwoPerMinute]

    def post(self, request):
        return Response({"ok": True})


@pytest.fixture(params=["cache", pytest.param("redis", marks=pytest.mark.redis)])
def counters(request, settings, monkeypatch):
    """The counters in Django's cache (no REDIS_URL: the demo) and in Redis (production)."""
    if request.param == "cache":
        settings.REDIS_URL = ""
    else:
        settings.REDIS_URL = os.environ["REDIS_URL"]
        throttling._redis.cache_clear()
        keys = throttling._redis().keys(throttling.KEY_PREFIX + "*")
        if keys:
            throttling._redis().delete(*keys)
    clock = {"now": 1_800_000_000.0}  # the start of a minute
    monkeypatch.setattr(ThreePerMinute, "timer", lambda self: clock["now"])
    monkeypatch.setattr(AnonTwoPerMinute, "timer", lambda self: clock["now"])
    return clock


def _post(user=None, address="10.0.0.1", language="en"):
    request = APIRequestFactory().post("/ping/", REMOTE_ADDR=address)
    if user is not None:
        force_authenticate(request, user=user)
    with translation.override(language):
        response = PingApi.as_view()(request)
        response.render()
    return response


def test_a_user_gets_the_rate_then_429_with_retry_after(counters):
    user = UserFactory()
    counters["now"] += 20

    answers = [_post(user).status_code for _ in range(4)]

    assert answers == [200, 200, 200, 429]
    refused = _post(user, language="sv")
    assert refused.status_code == 429
    assert refused["Retry-After"] == "40"
    assert "Förfrågan" in refused.data["detail"] or "begäran" in refused.data["detail"].lower()


def test_the_next_window_starts_afresh(counters):
    user = UserFactory()
    for _ in range(3):
        assert _post(user).status_code == 200
    assert _post(user).status_code == 429

    counters["now"] += 60

    assert _post(user).status_code == 200


def test_each_user_and_each_anonymous_address_has_its_own_count(counters):
    first, second = UserFactory(), UserFactory()
    for _ in range(3):
        _post(first)

    assert _post(first).status_code == 429
    assert _post(second).status_code == 200
    assert [_post(address="10.0.0.9").status_code for _ in range(3)] == [200, 200, 429]
    assert _post(address="10.0.0.10").status_code == 200


def test_window_hit_counts_and_expires(counters):
    assert [throttling.window_hit("t:1", timeout=60) for _ in range(3)] == [1, 2, 3]
    assert throttling.window_hit("t:2", timeout=60) == 1
