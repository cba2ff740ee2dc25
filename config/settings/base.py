"""Settings shared by every environment. Every value a deployment may change comes from the
environment (see the README's configuration table); the defaults are safe for development."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()


def _bad_url(name: str, expected: str) -> ImproperlyConfigured:
    # The value is not echoed: such URLs carry passwords.
    return ImproperlyConfigured(f"{name} is not a valid URL; expected {expected}.")


def _db_url(name: str, default: str) -> dict:
    value = env(name, default=default)
    if urlsplit(value).scheme not in environ.Env.DB_SCHEMES:
        raise _bad_url(name, "e.g. postgres://user:password@host:5432/name or sqlite:///path")
    try:
        return env.db_url_config(value)
    except Exception as exc:
        raise _bad_url(name, "e.g. postgres://user:password@host:5432/name") from exc


def _redis_url(name: str, default: str = "") -> str:
    value = env(name, default=default)
    if value:
        parts = urlsplit(value)
        if parts.scheme not in ("redis", "rediss", "unix") or not (parts.hostname or parts.path):
            raise _bad_url(name, "e.g. redis://host:6379/0")
    return value


def _email_url_config(name: str, value: str) -> dict:
    if urlsplit(value).scheme not in environ.Env.EMAIL_SCHEMES:
        raise _bad_url(name, "e.g. smtp://user:password@host:587, consolemail:// or filemail://")
    try:
        return env.email_url_config(value)
    except Exception as exc:
        raise _bad_url(name, "e.g. smtp://user:password@host:587") from exc


SECRET_KEY = env("SECRET_KEY", default="dev-insecure-only-for-local-use-change-me-" + "x" * 20)
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# --- Club identity ---------------------------------------------------------------------------
CLUB_NAME = env("CLUB_NAME", default="Lojal")
CLUB_LOGO = env("CLUB_LOGO", default="img/logo.svg")  # a path under static/, or an absolute URL

# --- Applications ----------------------------------------------------------------------------
INSTALLED_APPS = [
    "core.apps.LojalAdminConfig",  # django.contrib.admin with the club's admin site
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "django_htmx",
    "csp",
    "core",
    "members",
    "rewards",
    "events",
    "forums",
    "campaigns",
    "feedback",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "csp.context_processors.nonce",
                "core.context_processors.club",
            ],
        },
    },
]

# --- Database --------------------------------------------------------------------------------
DATABASES = {
    "default": _db_url("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL and a busy timeout let the web server, the worker and beat share the demo file.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
    }
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("DB_CONN_MAX_AGE", default=60))
    DATABASES["default"].setdefault("CONN_HEALTH_CHECKS", True)
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        # Parameters sent apart from the SQL instead of quoted into it by Python, and statements
        # a connection runs often prepared (parsed once): less work per query in the app and in
        # PostgreSQL. Batch jobs switch back to literals (core.db.literal_parameters): a prepared
        # statement's generic plan turned the expiry job's batch UPDATE from seconds into minutes.
        options = DATABASES["default"].setdefault("OPTIONS", {})
        options.setdefault("server_side_binding", env.bool("DB_SERVER_SIDE_BINDING", default=True))
        options.setdefault("prepare_threshold", env.int("DB_PREPARE_THRESHOLD", default=5) or None)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache and Celery ------------------------------------------------------------------------
REDIS_URL = _redis_url("REDIS_URL")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env("CACHE_KEY_PREFIX", default="lojal"),
        }
    }
    CELERY_BROKER_URL = env("CELERY_BROKER_URL", default=REDIS_URL)
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    # A broker that needs no server: messages are files in var/celery, shared by the web
    # server, the worker and beat on one machine. Good for the demo, not for production.
    CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="filesystem://")

CELERY_BROKER_FOLDER = VAR_DIR / "celery"
CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, object] = (
    {
        "data_folder_in": str(CELERY_BROKER_FOLDER / "queue"),
        "data_folder_out": str(CELERY_BROKER_FOLDER / "queue"),
        "processed_folder": str(CELERY_BROKER_FOLDER / "processed"),
        "control_folder": str(CELERY_BROKER_FOLDER / "control"),
        "store_processed": False,
    }
    if CELERY_BROKER_URL.startswith("filesystem://")
    else {
        # Longer than any countdown/ETA we schedule, or Redis re-delivers a waiting task.
        "visibility_timeout": 6 * 3600,
    }
)
if CELERY_BROKER_URL.startswith("filesystem://"):
    for _folder in ("queue", "processed", "control"):
        (CELERY_BROKER_FOLDER / _folder).mkdir(parents=True, exist_ok=True)
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TIMEZONE = env("TIME_ZONE", default="Europe/Stockholm")
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = False  # per task: only tasks that are safe to run twice set acks_late
CELERY_TASK_REJECT_ON_WORKER_LOST = False
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 30 * 60
CELERY_TASK_SOFT_TIME_LIMIT = 25 * 60
CELERY_TASK_ALWAYS_EAGER = False
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# Periodic work; apps add their entries here (django-celery-beat copies them to the database,
# where staff may pause or retime them in the admin).
CELERY_BEAT_SCHEDULE: dict[str, dict[str, object]] = {
    "core-idempotency-keys-purge": {
        "task": "core.tasks.idempotency_keys_purge_task",
        "schedule": 3600.0,
    },
    # The outbox's safety net: mail whose prompt run was lost (broker down), and retries.
    "core-outgoing-emails-send": {
        "task": "core.tasks.outgoing_emails_send_task",
        "schedule": 60.0,
    },
    "core-outgoing-emails-purge": {
        "task": "core.tasks.outgoing_emails_purge_task",
        "schedule": 24 * 3600.0,
    },
}

# --- Authentication --------------------------------------------------------------------------
AUTH_USER_MODEL = "members.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "core:home"
LOGOUT_REDIRECT_URL = "core:home"

ACCOUNT_ADAPTER = "members.adapters.AccountAdapter"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_EMAIL_VERIFICATION = env("ACCOUNT_EMAIL_VERIFICATION", default="mandatory")
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_SESSION_REMEMBER = None
ACCOUNT_EMAIL_SUBJECT_PREFIX = f"[{CLUB_NAME}] "
LOGIN_ATTEMPTS_LIMIT = env.int("LOGIN_ATTEMPTS_LIMIT", default=5)
LOGIN_ATTEMPTS_WINDOW = env("LOGIN_ATTEMPTS_WINDOW", default="5m")
ACCOUNT_RATE_LIMITS = {
    # Failed logins per e-mail address and per IP; the admin login goes through the same view.
    "login_failed": f"{LOGIN_ATTEMPTS_LIMIT}/{LOGIN_ATTEMPTS_WINDOW}/key,"
    f"{LOGIN_ATTEMPTS_LIMIT * 4}/{LOGIN_ATTEMPTS_WINDOW}/ip",
    "signup": "20/m/ip",
    "reset_password": "20/m/ip,5/m/key",
}
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = CLUB_NAME
# Staff must have MFA before they may use /admin/.
# The demo relaxes this (LOJAL_STAFF_MFA_REQUIRED=0).
STAFF_MFA_REQUIRED = env.bool("LOJAL_STAFF_MFA_REQUIRED", default=True)

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False  # HTMX reads the token from the page, not the cookie
SESSION_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"

# --- Content-Security-Policy (django-csp 4) ---------------------------------------------------
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    },
}

# --- Internationalisation --------------------------------------------------------------------
LANGUAGE_CODE = env("LANGUAGE_CODE", default="sv")
LANGUAGES = [("sv", _("Swedish")), ("en", _("English"))]
TIME_ZONE = env("TIME_ZONE", default="Europe/Stockholm")
USE_I18N = True
USE_TZ = True
LOCALE_PATHS = [BASE_DIR / "locale"]
LANGUAGE_COOKIE_NAME = "lojal_language"
LANGUAGE_COOKIE_SECURE = False
LANGUAGE_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SAMESITE = "Lax"

# --- Static and media ------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "staticfiles")
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=VAR_DIR / "media")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# --- E-mail and SMS --------------------------------------------------------------------------
# EMAIL_URL: smtp://user:pass@host:587 (smtp+tls://, smtp+ssl://), consolemail://, filemail://.
# Without it, EMAIL_HOST (and EMAIL_PORT, EMAIL_HOST_USER, EMAIL_HOST_PASSWORD, EMAIL_USE_TLS)
# select SMTP; with neither, e-mails are written as files under EMAIL_FILE_PATH.
EMAIL_URL = env("EMAIL_URL", default="" if env("EMAIL_HOST", default="") else "filemail://")
if EMAIL_URL:
    _email = {
        k: v for k, v in _email_url_config("EMAIL_URL", EMAIL_URL).items() if v not in (None, "")
    }
    EMAIL_BACKEND = _email.pop("EMAIL_BACKEND")
    vars().update(_email)
else:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = env("EMAIL_HOST")
    EMAIL_PORT = env.int("EMAIL_PORT", default=587)
    EMAIL_HOST_USER = env("EMAIL_HOST_USER", default="")
    EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD", default="")
    EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=True)
EMAIL_FILE_PATH = env.path("EMAIL_FILE_PATH", default=VAR_DIR / "mail")
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=20)
# The outbox (core.email): after a commit the worker is asked to send at most once per this many
# seconds per web process, and that long ahead, so a burst of e-mail costs the broker one message
# (0: one message per e-mail, sent at once). Sent e-mail is kept this many days for the admin.
EMAIL_OUTBOX_DELAY = env.float("EMAIL_OUTBOX_DELAY", default=1.0)
EMAIL_OUTBOX_KEEP_DAYS = env.int("EMAIL_OUTBOX_KEEP_DAYS", default=30)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default=f"{CLUB_NAME} <club@localhost>")
SERVER_EMAIL = env("SERVER_EMAIL", default=DEFAULT_FROM_EMAIL)
SMS_BACKEND = env("SMS_BACKEND", default="campaigns.sms.FileSmsBackend")
SMS_FILE_PATH = env.path("SMS_FILE_PATH", default=VAR_DIR / "sms")
SMS_SENDER = env("SMS_SENDER", default=CLUB_NAME[:11])

# --- REST API --------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "members.api.authentication.TokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "core.api.pagination.DefaultPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_THROTTLE_CLASSES": [
        "core.api.throttling.AnonRateThrottle",
        "core.api.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env("API_THROTTLE_ANON", default="60/min"),
        "user": env("API_THROTTLE_USER", default="6000/min"),
    },
}
SPECTACULAR_SETTINGS = {
    "TITLE": f"{CLUB_NAME} API",
    "DESCRIPTION": "Integrations for the club: purchases from tills and web shops, member sync.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # Swagger UI served from our own static files (no CDN), by the CSP-friendly split view.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}
IDEMPOTENCY_KEY_TTL_HOURS = env.int("IDEMPOTENCY_KEY_TTL_HOURS", default=48)

# --- Logging ---------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# --- Members (CRM) ---------------------------------------------------------------------------
DEFAULT_CURRENCY = env("DEFAULT_CURRENCY", default="SEK")
# Currencies purchases may carry; anything else is refused with a clear message.
CURRENCIES = env.list("CURRENCIES", default=["SEK", "NOK", "DKK", "EUR"])
PHONE_DEFAULT_REGION = env("PHONE_DEFAULT_REGION", default="SE")
# Members inactive (no purchase, login or activity) longer than this are flagged for review.
MEMBER_RETENTION_YEARS = env.int("MEMBER_RETENTION_YEARS", default=3)
# Limits of one CSV upload in the admin's member and purchase import.
MEMBER_IMPORT_MAX_ROWS = env.int("MEMBER_IMPORT_MAX_ROWS", default=5000)
MEMBER_IMPORT_MAX_BYTES = env.int("MEMBER_IMPORT_MAX_BYTES", default=5 * 1024 * 1024)
CELERY_BEAT_SCHEDULE["members-scores-compute"] = {
    "task": "members.tasks.member_scores_compute_task",
    "schedule": 6 * 3600.0,
}

# --- Rewards ---------------------------------------------------------------------------------
# Points expire on 31 December of the Nth calendar year after they were earned (-1: never).
REWARDS_POINTS_EXPIRY_YEARS = env.int("REWARDS_POINTS_EXPIRY_YEARS", default=2)
# Points per SEK when no earning rule matches a purchase.
REWARDS_DEFAULT_POINTS_PER_SEK = env("REWARDS_DEFAULT_POINTS_PER_SEK", default="1")
# The largest number of points one entry (award, debit, adjustment) may move.
REWARDS_MAX_POINTS_PER_ENTRY = env.int("REWARDS_MAX_POINTS_PER_ENTRY", default=10_000_000)
# Points a cancellation gives back after their lot has expired go into a new lot valid this long.
REWARDS_RETURNED_POINTS_VALID_DAYS = env.int("REWARDS_RETURNED_POINTS_VALID_DAYS", default=90)
# Tier review: a member below their tier's threshold at the yearly review keeps it this long.
REWARDS_TIER_GRACE_DAYS = env.int("REWARDS_TIER_GRACE_DAYS", default=30)
# What one point costs the club in SEK, for the liability report (a point worth 1 öre: "0.01").
REWARDS_POINT_VALUE_SEK = env("REWARDS_POINT_VALUE_SEK", default="0.01")
# On PostgreSQL a redemption runs as one database function (rewards_redeem, migration 0006) in a
# single round trip; 0 uses the ORM implementation instead (what SQLite always uses).
REWARDS_REDEEM_IN_DATABASE = env.bool("REWARDS_REDEEM_IN_DATABASE", default=True)
CELERY_BEAT_SCHEDULE["rewards-points-expire"] = {
    "task": "rewards.tasks.points_expire_due_task",
    "schedule": 3600.0,
}
# Birthday points: checked a few times a day (a missed run is caught up the same day); each member
# earns them once a year.
CELERY_BEAT_SCHEDULE["rewards-birthday-award"] = {
    "task": "rewards.tasks.points_birthday_award_task",
    "schedule": 6 * 3600.0,
}
CELERY_BEAT_SCHEDULE["rewards-tiers-review"] = {
    "task": "rewards.tasks.tiers_review_task",
    "schedule": 6 * 3600.0,
}
# Benefit choice: members pick their tier's benefits per period of this many months, counted from
# 1 January (3: calendar quarters; use a divisor of 12).
REWARDS_BENEFIT_PERIOD_MONTHS = env.int("REWARDS_BENEFIT_PERIOD_MONTHS", default=3)
CELERY_BEAT_SCHEDULE["rewards-gamification-award"] = {
    "task": "rewards.tasks.gamification_award_task",
    "schedule": 3600.0,
}

# --- Campaigns (campaigns engineer) -------------------------------------------------------------
# The site's public address for links in messages (unsubscribe, tracking); https in production.
CAMPAIGNS_SITE_URL = env("CAMPAIGNS_SITE_URL", default="http://localhost:8000")
# At most this many marketing messages (e-mail and SMS together) per member in 7 days.
CAMPAIGNS_FREQUENCY_CAP = env.int("CAMPAIGNS_FREQUENCY_CAP", default=3)
# Messages a worker claims at once (one SMTP connection each), and send tasks per campaign.
CAMPAIGNS_SEND_BATCH = env.int("CAMPAIGNS_SEND_BATCH", default=200)
CAMPAIGNS_SEND_PARALLEL = env.int("CAMPAIGNS_SEND_PARALLEL", default=2)
# Tries of a message refused with a temporary (4xx) error before it counts as failed.
CAMPAIGNS_MAX_ATTEMPTS = env.int("CAMPAIGNS_MAX_ATTEMPTS", default=5)
# A campaign pauses itself when more than this share of handed-over messages failed (once at
# least CAMPAIGNS_PAUSE_MIN_MESSAGES were handed over).
CAMPAIGNS_PAUSE_ERROR_RATE = env.float("CAMPAIGNS_PAUSE_ERROR_RATE", default=0.2)
CAMPAIGNS_PAUSE_MIN_MESSAGES = env.int("CAMPAIGNS_PAUSE_MIN_MESSAGES", default=50)
# Without PostgreSQL's advisory locks (SQLite), a worker's claim counts as abandoned after this.
CAMPAIGNS_CLAIM_LEASE_MINUTES = env.int("CAMPAIGNS_CLAIM_LEASE_MINUTES", default=15)
# Marketing SMS are not sent between these hours (local time of the zone): deferred, not dropped.
CAMPAIGNS_SMS_QUIET_START = env.int("CAMPAIGNS_SMS_QUIET_START", default=20)
CAMPAIGNS_SMS_QUIET_END = env.int("CAMPAIGNS_SMS_QUIET_END", default=9)
CAMPAIGNS_SMS_QUIET_TIMEZONE = env("CAMPAIGNS_SMS_QUIET_TIMEZONE", default="Europe/Stockholm")
CELERY_BEAT_SCHEDULE["campaigns-tick"] = {
    "task": "campaigns.tasks.campaigns_tick_task",
    "schedule": 60.0,
}
CELERY_BEAT_SCHEDULE["campaigns-triggers"] = {
    "task": "campaigns.tasks.campaigns_triggers_task",
    "schedule": 15 * 60.0,
}
