"""Development and demo: the embedded defaults (SQLite, files for e-mail and SMS, a file broker)."""

from .base import *  # noqa: F403
from .base import env

DEBUG = env.bool("DEBUG", default=True)
# The demo lets staff into /admin/ without MFA so it can be tried at once; `make demo` says so.
STAFF_MFA_REQUIRED = env.bool("LOJAL_STAFF_MFA_REQUIRED", default=False)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
