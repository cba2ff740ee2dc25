"""GET /healthz: the state of database, cache and broker, for load balancers and monitors."""

from __future__ import annotations

import socket

import pytest
from django.core.cache import caches

from config.celery_app import app as celery_app


def _closed_loopback_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def broker_unreachable():
    """Point the Celery app's broker at a closed loopback port; restore it afterwards."""
    saved = celery_app.conf.broker_url
    celery_app.conf.broker_url = f"redis://127.0.0.1:{_closed_loopback_port()}/0"
    yield
    celery_app.conf.broker_url = saved


@pytest.mark.django_db
def test_healthy_services_answer_200_with_each_state(client):
    # given the database, cache and broker of the test settings
    # when an anonymous monitor asks
    response = client.get("/healthz")

    # then all are reported ok, and the answer is never cached
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "cache": "ok", "broker": "ok"}
    assert "no-cache" in response.headers["Cache-Control"]


@pytest.mark.django_db
def test_an_unreachable_broker_answers_503_naming_it(client, broker_unreachable):
    # given a broker nobody listens on
    # when the monitor asks
    response = client.get("/healthz")

    # then the broker is named as down and the rest still ok
    assert response.status_code == 503
    assert response.json() == {
        "status": "unavailable",
        "database": "ok",
        "cache": "ok",
        "broker": "down",
    }


@pytest.mark.django_db
def test_an_unreachable_cache_answers_503_naming_it(client, settings):
    # given a Redis cache nobody listens on
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{_closed_loopback_port()}/0",
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
    assert type(caches["default"]).__name__ == "RedisCache"

    # when the monitor asks
    response = client.get("/healthz")

    # then the cache is named as down
    assert response.status_code == 503
    assert response.json()["cache"] == "down"
    assert response.json()["database"] == "ok"
    assert response.json()["status"] == "unavailable"


@pytest.mark.django_db
@pytest.mark.parametrize("method", ["post", "put", "delete"])
def test_only_get_is_allowed(client, method):
    # when anything but GET is sent
    response = getattr(client, method)("/healthz")

    # then it is refused as a method not allowed
    assert response.status_code == 405
    assert "GET" in response.headers["Allow"]


@pytest.mark.redis
@pytest.mark.django_db
def test_with_redis_configured_the_real_broker_and_cache_are_checked(client, settings):
    # given the test settings built from REDIS_URL (cache and broker on Redis)
    assert settings.CACHES["default"]["BACKEND"].endswith("RedisCache")
    assert celery_app.conf.broker_url.startswith("redis://")

    # when the monitor asks
    response = client.get("/healthz")

    # then the real Redis answered for both
    assert response.status_code == 200
    assert response.json()["cache"] == response.json()["broker"] == "ok"
