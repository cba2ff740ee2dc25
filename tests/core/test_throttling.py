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


# --- The client's address and failed authentication (hardening-auth) ----------------------------


def test_without_trusted_proxies_a_forged_x_forwarded_for_buys_no_fresh_budget(counters):
    # given the default: no trusted proxy
    def post(forwarded):
        request = APIRequestFactory().post(
            "/ping/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR=forwarded
        )
        return PingApi.as_view()(request).status_code

    # when an anonymous client claims a new address in every request
    answers = [post(f"203.0.113.{n}") for n in range(3)]

    # then they all count against the connection's address
    assert answers == [200, 200, 429]


def test_behind_a_trusted_proxy_each_client_has_its_own_budget(counters, settings):
    # given one trusted proxy (10.0.0.1) that appends the address it saw
    settings.TRUSTED_PROXY_COUNT = 1

    def post(client, forged="198.51.100.1"):
        request = APIRequestFactory().post(
            "/ping/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR=f"{forged}, {client}"
        )
        return PingApi.as_view()(request).status_code

    # when one client uses its budget, forging a different first entry each time
    answers = [post("203.0.113.5", forged=f"192.0.2.{n}") for n in range(3)]

    # then the proxy's entry is what counts, and another client is not affected
    assert answers == [200, 200, 429]
    assert post("203.0.113.6") == 200


@pytest.fixture
def token_api(settings):
    settings.API_THROTTLE_AUTH_FAILURES = "3/min"
    from rest_framework.test import APIClient

    return APIClient(REMOTE_ADDR="203.0.113.77")


def test_wrong_tokens_are_throttled_per_address(token_api, counters):
    # given a client that sends wrong tokens
    answers = [
        token_api.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token wrong{n}").status_code
        for n in range(5)
    ]

    # then after the rate they get 429 with Retry-After, without their tokens being looked at
    assert answers[:3] == [401, 401, 401]
    assert answers[3:] == [429, 429]
    refused = token_api.get("/api/v1/me/", HTTP_AUTHORIZATION="Token wrong9")
    assert int(refused["Retry-After"]) > 0


def test_a_throttled_address_does_not_hold_back_another(token_api, counters):
    from rest_framework.authtoken.models import Token
    from rest_framework.test import APIClient

    for n in range(4):
        token_api.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token wrong{n}")
    token = Token.objects.create(user=UserFactory())

    other = APIClient(REMOTE_ADDR="198.51.100.8")
    response = other.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {token.key}")

    assert response.status_code != 429
