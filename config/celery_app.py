"""The Celery application. Tasks live in each app's tasks.py and are thin: load ids and call a
service."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

app = Celery("lojal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
