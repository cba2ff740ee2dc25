"""Production settings come from the environment and stop the start when something is wrong.

Each case runs in a fresh interpreter with a cleaned environment, as a deployment would start."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parents[2]
SETUP = "import django; django.setup(); from django.conf import settings; settings.DATABASES"


def _production_env(**overrides: str | None) -> dict[str, str]:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", str(BASE_DIR)),
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "club.example.com",
    }
    for name, value in overrides.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return env


def _run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        args, cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=300, check=False
    )


def _setup(**overrides: str | None) -> subprocess.CompletedProcess:
    return _run([sys.executable, "-c", SETUP], _production_env(**overrides))


def test_a_valid_production_environment_starts():
    # given everything production needs
    # when Django starts
    result = _setup()

    # then it starts
    assert result.returncode == 0, result.stderr


def test_a_missing_secret_key_stops_the_start_naming_it():
    result = _setup(SECRET_KEY=None)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "SECRET_KEY" in result.stderr.splitlines()[-1]


def test_a_short_secret_key_stops_the_start_naming_it():
    result = _setup(SECRET_KEY="too-short")
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr.splitlines()[-1]


@pytest.mark.parametrize("value", [None, ""], ids=["unset", "empty"])
def test_missing_allowed_hosts_stop_the_start_naming_them(value):
    result = _setup(ALLOWED_HOSTS=value)
    assert result.returncode != 0
    assert "ALLOWED_HOSTS" in result.stderr.splitlines()[-1]


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("DATABASE_URL", "nonsense"),
        ("DATABASE_URL", "nosuchdb://user@host/name"),
        ("REDIS_URL", "nonsense"),
        ("REDIS_URL", "http://127.0.0.1:6379/0"),
        ("EMAIL_URL", "nonsense"),
        ("EMAIL_URL", "pigeon://loft"),
    ],
)
def test_a_malformed_service_url_stops_the_start_naming_the_variable(variable, value):
    # given a service URL that cannot be right
    # when Django starts
    result = _setup(**{variable: value})

    # then it stops with ImproperlyConfigured naming the variable (and not echoing the value,
    # since such URLs carry passwords)
    assert result.returncode != 0
    last_line = result.stderr.splitlines()[-1]
    assert last_line.startswith("django.core.exceptions.ImproperlyConfigured"), last_line
    assert variable in last_line
    assert value not in last_line


def test_well_formed_service_urls_are_used():
    # given real-looking service URLs
    script = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.DATABASES['default']['ENGINE'], s.DATABASES['default']['HOST'], "
        "s.CACHES['default']['BACKEND'], s.CELERY_BROKER_URL, s.EMAIL_BACKEND, s.EMAIL_HOST)"
    )
    env = _production_env(
        DATABASE_URL="postgres://lojal:pw@db.internal:5432/lojal",
        REDIS_URL="redis://cache.internal:6379/0",
        EMAIL_URL="smtp+tls://mailer:pw@smtp.internal:587",
    )

    # when Django starts
    result = _run([sys.executable, "-c", script], env)

    # then each service is configured from its URL
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "django.db.backends.postgresql",
        "db.internal",
        "django.core.cache.backends.redis.RedisCache",
        "redis://cache.internal:6379/0",
        "django.core.mail.backends.smtp.EmailBackend",
        "smtp.internal",
    ]


def test_check_deploy_is_clean_with_production_settings():
    # given a valid production environment
    # when Django's deployment checks run, failing on warnings
    result = _run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        _production_env(),
    )

    # then there is nothing to report
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout
