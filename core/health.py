"""The state of the services the club depends on, for GET /healthz."""

from __future__ import annotations

import uuid

from celery import current_app
from django.core.cache import cache
from django.db import connection


def database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except Exception:
        return False


def cache_ok() -> bool:
    try:
        probe = uuid.uuid4().hex
        cache.set("healthz-probe", probe, timeout=10)
        return cache.get("healthz-probe") == probe
    except Exception:
        return False


def broker_ok() -> bool:
    try:
        with current_app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=2)
        return True
    except Exception:
        return False


def health_check() -> dict[str, bool]:
    return {"database": database_ok(), "cache": cache_ok(), "broker": broker_ok()}
