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
# portal (issue 11): the brand colour of e-mails, and the portal's public address (links and the
# logo in e-mails; empty: e-mails show the club name without the logo).
CLUB_COLOR = env("CLUB_COLOR", default="#0b4a44")
# The club's public address (https://klubb.example.se): every link and the logo in e-mails.
SITE_URL = env("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")

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
    "core.api.middleware.ApiNulMiddleware",  # hardening-auth: NUL in an API address is a 400
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
# portal (issue 11): sign-up asks the first name, the consents (unticked) and the terms.
ACCOUNT_SIGNUP_FORM_CLASS = "members.forms.SignupExtraForm"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_EMAIL_VERIFICATION = env("ACCOUNT_EMAIL_VERIFICATION", default="mandatory")
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_SESSION_REMEMBER = None
ACCOUNT_EMAIL_SUBJECT_PREFIX = f"[{CLUB_NAME}] "
# hardening-auth: no one else's address
ACCOUNT_FORMS = {"add_email": "members.forms_email.AddEmailForm"}
# --- hardening-auth: lock-out and client addresses ---------------------------------------------
# Failed logins: LOGIN_ATTEMPTS_LIMIT per (account, client address) and LOGIN_ADDRESS_ATTEMPTS_LIMIT
# per address across accounts, both per LOGIN_ATTEMPTS_WINDOW; LOGIN_ACCOUNT_ATTEMPTS_LIMIT per
# account across addresses per LOGIN_ACCOUNT_ATTEMPTS_WINDOW, except at addresses the account
# logged in from in the last LOGIN_KNOWN_ADDRESS_DAYS (members.adapters).
LOGIN_ATTEMPTS_LIMIT = env.int("LOGIN_ATTEMPTS_LIMIT", default=5)
LOGIN_ATTEMPTS_WINDOW = env("LOGIN_ATTEMPTS_WINDOW", default="5m")
LOGIN_ADDRESS_ATTEMPTS_LIMIT = env.int("LOGIN_ADDRESS_ATTEMPTS_LIMIT", default=20)
LOGIN_ACCOUNT_ATTEMPTS_LIMIT = env.int("LOGIN_ACCOUNT_ATTEMPTS_LIMIT", default=50)
LOGIN_ACCOUNT_ATTEMPTS_WINDOW = env("LOGIN_ACCOUNT_ATTEMPTS_WINDOW", default="1h")
LOGIN_KNOWN_ADDRESS_DAYS = env.int("LOGIN_KNOWN_ADDRESS_DAYS", default=30)
# Proxies in front of the app that append to X-Forwarded-For (core.net.client_address); 0: the
# header is ignored and the connection's address is the client's.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
# --- end hardening-auth -------------------------------------------------------------------------
ACCOUNT_RATE_LIMITS = {
    # Failed logins (key: account and address; ip: per address); the admin login goes through
    # the same view. The per-account limit is members.adapters' own action.
    "login_failed": f"{LOGIN_ATTEMPTS_LIMIT}/{LOGIN_ATTEMPTS_WINDOW}/key,"
    f"{LOGIN_ADDRESS_ATTEMPTS_LIMIT}/{LOGIN_ATTEMPTS_WINDOW}/ip",
    "login_failed_account": f"{LOGIN_ACCOUNT_ATTEMPTS_LIMIT}/{LOGIN_ACCOUNT_ATTEMPTS_WINDOW}/key",
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
# portal (issue 11): English dates day-first (config/formats/en), never US month-first.
FORMAT_MODULE_PATH = ["config.formats"]
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

# --- SMS providers ---------------------------------------------------------------------------
# SMS_BACKEND above picks the provider: campaigns.sms.Elks46SmsBackend or
# campaigns.sms.TwilioSmsBackend send over HTTP (see the README's "SMS providers").
SMS_MAX_PARTS = env.int("SMS_MAX_PARTS", default=10)  # longer texts are refused
SMS_HTTP_CONNECT_TIMEOUT = env.float("SMS_HTTP_CONNECT_TIMEOUT", default=5.0)
SMS_HTTP_READ_TIMEOUT = env.float("SMS_HTTP_READ_TIMEOUT", default=15.0)
SMS_HTTP_POOL_SIZE = env.int("SMS_HTTP_POOL_SIZE", default=10)  # kept-alive connections
# Seconds one send may wait for the rate limit before it gives up (a transient error).
SMS_RATE_LIMIT_MAX_WAIT = env.float("SMS_RATE_LIMIT_MAX_WAIT", default=30.0)
# Lojal's public address as the providers reach it (https://club.example.com): delivery receipts
# are asked for only when it is set.
SMS_CALLBACK_BASE_URL = env("SMS_CALLBACK_BASE_URL", default="")
SMS_46ELKS_API_URL = env("SMS_46ELKS_API_URL", default="https://api.46elks.com/a1")
SMS_46ELKS_USERNAME = env("SMS_46ELKS_USERNAME", default="")
SMS_46ELKS_PASSWORD = env("SMS_46ELKS_PASSWORD", default="")
SMS_46ELKS_RATE = env.float("SMS_46ELKS_RATE", default=10.0)  # messages per second, 0: no limit
# 46elks signs nothing: its webhooks carry this secret in their path and Basic-auth credentials.
SMS_46ELKS_WEBHOOK_SECRET = env("SMS_46ELKS_WEBHOOK_SECRET", default="")
SMS_46ELKS_WEBHOOK_USER = env("SMS_46ELKS_WEBHOOK_USER", default="46elks")
SMS_46ELKS_WEBHOOK_PASSWORD = env("SMS_46ELKS_WEBHOOK_PASSWORD", default="")
SMS_TWILIO_API_URL = env("SMS_TWILIO_API_URL", default="https://api.twilio.com")
SMS_TWILIO_ACCOUNT_SID = env("SMS_TWILIO_ACCOUNT_SID", default="")
SMS_TWILIO_AUTH_TOKEN = env("SMS_TWILIO_AUTH_TOKEN", default="")  # also verifies its webhooks
SMS_TWILIO_MESSAGING_SERVICE_SID = env("SMS_TWILIO_MESSAGING_SERVICE_SID", default="")
SMS_TWILIO_RATE = env.float("SMS_TWILIO_RATE", default=10.0)

# --- REST API --------------------------------------------------------------------------------
REST_FRAMEWORK = {
    # Token first: its WWW-Authenticate header makes a missing or wrong credential a 401.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "members.api.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "core.api.pagination.DefaultPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "core.api.schema.AutoSchema",  # hardening-auth: errors, pagination
    "DEFAULT_THROTTLE_CLASSES": [
        "core.api.throttling.AnonRateThrottle",
        "core.api.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env("API_THROTTLE_ANON", default="60/min"),
        "user": env("API_THROTTLE_USER", default="6000/min"),
    },
}
# hardening-auth: failed token authentications per client address (core.api.throttling); "" off.
API_THROTTLE_AUTH_FAILURES = env("API_THROTTLE_AUTH_FAILURES", default="20/min")
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
    # hardening-auth: <dbid:…> routes (core.converters) take database ids only
    "PATH_CONVERTER_OVERRIDES": {
        "dbid": {"type": "integer", "minimum": 1, "maximum": 9223372036854775807}
    },
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

# --- Feedback --------------------------------------------------------------------------------
# A follow-up case (detractor or low satisfaction) is due this many hours after it opens; past
# that it is escalated to the club admins by e-mail, once.
FEEDBACK_CASE_SLA_HOURS = env.int("FEEDBACK_CASE_SLA_HOURS", default=48)
CELERY_BEAT_SCHEDULE["feedback-cases-escalate"] = {
    "task": "feedback.tasks.cases_escalate_overdue_task",
    "schedule": 900.0,
}
CELERY_BEAT_SCHEDULE["feedback-surveys-after-joining"] = {
    "task": "feedback.tasks.surveys_after_joining_task",
    "schedule": 6 * 3600.0,
}
# Conversations: the largest attachment a member or staff may add (images and PDF only).
FEEDBACK_ATTACHMENT_MAX_BYTES = env.int("FEEDBACK_ATTACHMENT_MAX_BYTES", default=5 * 1024 * 1024)
# --- Hardening: input limits (core.validators, core.api.parsers, core.middleware) ------------
# Every user-supplied date or date-time must fall between 1 January of this year and this many
# days from today (purchases are further held to an hour ahead of the clock).
LOJAL_DATE_MIN_YEAR = env.int("LOJAL_DATE_MIN_YEAR", default=1900)
LOJAL_DATE_MAX_FUTURE_DAYS = env.int("LOJAL_DATE_MAX_FUTURE_DAYS", default=3660)
# The deepest nesting of arrays and objects a JSON request body may have.
LOJAL_JSON_MAX_DEPTH = env.int("LOJAL_JSON_MAX_DEPTH", default=32)
REST_FRAMEWORK["DEFAULT_PARSER_CLASSES"] = [
    "core.api.parsers.JSONParser",
    "core.api.parsers.FormParser",
    "core.api.parsers.MultiPartParser",
]
# A URL path or query string holding a NUL character is refused with 400 before any view runs.
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.middleware.locale.LocaleMiddleware") + 1,
    "core.middleware.NulCharacterMiddleware",
)
# --- Back office (issue 11, staff half) -------------------------------------------------------
# The staff dashboard's figures are kept in a rollup refreshed this often (seconds) by a periodic
# task; a tile older than this is recomputed when the dashboard is opened.
DASHBOARD_REFRESH_SECONDS = env.int("DASHBOARD_REFRESH_SECONDS", default=600)
CELERY_BEAT_SCHEDULE["core-dashboard-refresh"] = {
    "task": "core.tasks.dashboard_refresh_task",
    "schedule": float(DASHBOARD_REFRESH_SECONDS),
}
# The domain in .ics UIDs ("registration-42@<domain>"): stable, so calendars update, never double.
EVENTS_ICS_DOMAIN = env("EVENTS_ICS_DOMAIN", default="lojal.example")
# How long the services wait for an event's row lock before giving up (PostgreSQL lock_timeout).
EVENTS_LOCK_TIMEOUT_MS = env.int("EVENTS_LOCK_TIMEOUT_MS", default=10_000)
CELERY_BEAT_SCHEDULE["events-reminders-send"] = {
    "task": "events.tasks.reminders_send_task",
    "schedule": 15 * 60.0,
}
CELERY_BEAT_SCHEDULE["events-offers-expire"] = {
    "task": "events.tasks.offers_expire_task",
    "schedule": 5 * 60.0,
}
# --- End events ---------------------------------------------------------------------------------
# --- Forums (issue 14) -----------------------------------------------------------------------
# Minutes after posting during which a member may edit their own post (moderators always may).
FORUMS_EDIT_WINDOW_MINUTES = env.int("FORUMS_EDIT_WINDOW_MINUTES", default=60)
FORUMS_POST_MAX_CHARS = env.int("FORUMS_POST_MAX_CHARS", default=20_000)
# Flag weight (the sum of the flaggers' weights, trust level + 1 each) at which a post is hidden
# until a moderator reviews it; members flag from FORUMS_FLAG_MIN_TRUST.
FORUMS_FLAG_HIDE_WEIGHT = env.int("FORUMS_FLAG_HIDE_WEIGHT", default=3)
FORUMS_FLAG_MIN_TRUST = env.int("FORUMS_FLAG_MIN_TRUST", default=1)
FORUMS_REPUTATION_ACCEPTED = env.int("FORUMS_REPUTATION_ACCEPTED", default=15)
FORUMS_REPUTATION_HELPFUL = env.int("FORUMS_REPUTATION_HELPFUL", default=5)
# Trust levels (Discourse's new, basic, member, regular): what each level needs, as
# "topics_read,posts,days_visited,helpful_received,max_flags_upheld": at least the first four, and
# at most the last number of the member's posts hidden after flags a moderator upheld.
FORUMS_TRUST_BASIC = env("FORUMS_TRUST_BASIC", default="5,1,1,0,2")
FORUMS_TRUST_MEMBER = env("FORUMS_TRUST_MEMBER", default="20,10,10,3,1")
FORUMS_TRUST_REGULAR = env("FORUMS_TRUST_REGULAR", default="50,40,30,15,0")
# What the club knows counts too: members of this many days with at least this many purchases
# start at basic; at twice both, at member.
FORUMS_TRUST_CLUB_DAYS = env.int("FORUMS_TRUST_CLUB_DAYS", default=180)
FORUMS_TRUST_CLUB_PURCHASES = env.int("FORUMS_TRUST_CLUB_PURCHASES", default=3)
# Limits per trust level (new, basic, member, regular), comma-separated: topics and replies in a
# member's first day of posting, seconds between posts, links, images and mentions per post.
FORUMS_LIMIT_FIRST_DAY_TOPICS = env("FORUMS_LIMIT_FIRST_DAY_TOPICS", default="3,10,50,50")
FORUMS_LIMIT_FIRST_DAY_REPLIES = env("FORUMS_LIMIT_FIRST_DAY_REPLIES", default="10,50,500,500")
FORUMS_LIMIT_SECONDS_BETWEEN = env("FORUMS_LIMIT_SECONDS_BETWEEN", default="60,15,5,0")
FORUMS_LIMIT_LINKS = env("FORUMS_LIMIT_LINKS", default="2,10,50,100")
FORUMS_LIMIT_IMAGES = env("FORUMS_LIMIT_IMAGES", default="0,5,20,50")
FORUMS_LIMIT_MENTIONS = env("FORUMS_LIMIT_MENTIONS", default="2,5,10,20")
# A busy topic e-mails a member at most once per this many minutes (a digest).
FORUMS_DIGEST_MINUTES = env.int("FORUMS_DIGEST_MINUTES", default=60)
CELERY_BEAT_SCHEDULE["forums-digests-send"] = {
    "task": "forums.tasks.forum_digests_send_task",
    "schedule": 300.0,
}
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
