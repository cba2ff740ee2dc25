"""Expire the points whose last day has passed (what the hourly Celery task does)."""

import datetime

from django.core.management.base import BaseCommand

from rewards.services.ledger import points_expire_due


class Command(BaseCommand):
    help = "Expire points lots whose last day is before today (or --today YYYY-MM-DD)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--today", type=datetime.date.fromisoformat, default=None)

    def handle(self, *args, today=None, **options) -> None:
        result = points_expire_due(today=today)
        self.stdout.write(
            f"Expired {result.points} points in {result.lots} lots of {result.members} members."
        )
