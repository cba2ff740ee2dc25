"""API rate limits as fixed-window counters: one Redis round trip per request, whatever the rate.

DRF's own throttles keep every request's timestamp of the last window in a cached list that is
read, unpickled, pickled and written back on each request: for the default 6 000/min a busy
integration's list grows to 6 000 entries. A counter per window costs the same at any rate. It
lets a client send up to twice the rate across a window boundary, which is what a fixed window
means; the limits are there against runaway clients, not for billing.

With REDIS_URL set the counters live in Redis (INCR, expiring with their window); without it (the
demo) in Django's cache.
"""

from __future__ import annotations

import functools
import time

from django.conf import settings
from django.core.cache import cache
from rest_framework import exceptions, throttling

from core.net import client_address

KEY_PREFIX = "lojal:throttle:"


@functools.cache
def _redis():
    import redis

    return redis.Redis.from_url(settings.REDIS_URL)


def window_hit(key: str, *, timeout: int) -> int:
    """Count one request against `key` (a counter that disappears after `timeout` seconds);
    returns the count so far, this request included."""
    if settings.REDIS_URL:
        pipe = _redis().pipeline(transaction=False)
        pipe.set(KEY_PREFIX + key, 0, ex=timeout, nx=True)
        pipe.incr(KEY_PREFIX + key)
        return int(pipe.execute()[1])
    cache.add(KEY_PREFIX + key, 0, timeout)
    try:
        return cache.incr(KEY_PREFIX + key)
    except ValueError:  # expired between add and incr
        cache.set(KEY_PREFIX + key, 1, timeout)
        return 1


class FixedWindowMixin:
    """allow_request and wait for a DRF SimpleRateThrottle, counted per fixed window."""

    rate: str | None
    num_requests: int
    duration: int

    def allow_request(self, request, view) -> bool:
        if self.rate is None:
            return True
        key = self.get_cache_key(request, view)  # type: ignore[attr-defined]
        if key is None:
            return True
        now = self.timer()  # type: ignore[attr-defined]
        window = int(now // self.duration)
        self.retry_after = (window + 1) * self.duration - now
        return window_hit(f"{key}:{window}", timeout=self.duration + 1) <= self.num_requests

    def wait(self) -> float:
        return max(self.retry_after, 0.0)

    def get_ident(self, request) -> str:
        # One reading of the client's address for every limit (X-Forwarded-For only as far as
        # TRUSTED_PROXY_COUNT allows), not DRF's NUM_PROXIES.
        return client_address(request) or "unknown"


class UserRateThrottle(FixedWindowMixin, throttling.UserRateThrottle):
    """Per logged-in user (rate: API_THROTTLE_USER); anonymous requests per address."""


class AnonRateThrottle(FixedWindowMixin, throttling.AnonRateThrottle):
    """Anonymous requests per address (rate: API_THROTTLE_ANON)."""


# --- Failed authentication ----------------------------------------------------------------------
# Authentication runs before DRF's throttles, so a request with a wrong token never reached them.
# Failed authentications are counted per client address and fixed window; past the rate
# (API_THROTTLE_AUTH_FAILURES), credentials from that address are not even looked at until the
# window ends: the answer is 429 with Retry-After.


def _auth_failure_window(request) -> tuple[str, int, float]:
    count, period = settings.API_THROTTLE_AUTH_FAILURES.split("/")
    num_requests = int(count)
    duration = {"s": 1, "m": 60, "h": 3600, "d": 86400}[period[0]]
    now = time.time()
    window = int(now // duration)
    key = f"authfail:{client_address(request) or 'unknown'}:{window}"
    return key, num_requests, (window + 1) * duration - now


def _window_count(key: str) -> int:
    if settings.REDIS_URL:
        return int(_redis().get(KEY_PREFIX + key) or 0)
    return int(cache.get(KEY_PREFIX + key) or 0)


def authentication_failures_check(request) -> None:
    """Raise Throttled (429) while the client's address is over its failed-authentication rate."""
    if not settings.API_THROTTLE_AUTH_FAILURES:
        return
    key, limit, retry_after = _auth_failure_window(request)
    if _window_count(key) >= limit:
        raise exceptions.Throttled(wait=max(retry_after, 0.0))


def authentication_failure_record(request) -> None:
    """Count one failed authentication against the client's address."""
    if not settings.API_THROTTLE_AUTH_FAILURES:
        return
    key, _limit, retry_after = _auth_failure_window(request)
    window_hit(key, timeout=int(retry_after) + 2)
