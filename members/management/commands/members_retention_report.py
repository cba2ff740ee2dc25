"""Print how many members are due for retention review and write them to a CSV file."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

from members.csvutil import BOM, csv_rows_write
from members.selectors.retention import members_due_for_retention_review, retention_cutoff


class Command(BaseCommand):
    help = (
        "Members inactive (no purchase, login or consent change) longer than "
        "MEMBER_RETENTION_YEARS: print the count and write them to a CSV."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--output",
            default="retention-review.csv",
            help="Where to write the CSV (default: retention-review.csv).",
        )

    def handle(self, *args, output: str, **options) -> None:
        members = members_due_for_retention_review()
        path = Path(output)
        count = 0

        def rows():
            nonlocal count
            for member in members.iterator(chunk_size=2000):
                count += 1
                yield [
                    member.pk,
                    member.number,
                    member.status,
                    member.joined_at,
                    member.last_purchase_at,
                    member.user.last_login if member.user_id and member.user else None,
                    member.last_consent_at,
                ]

        with path.open("w", encoding="utf-8", newline="") as stream:
            stream.write(BOM)
            csv_rows_write(
                stream,
                [
                    "id",
                    "number",
                    "status",
                    "joined_at",
                    "last_purchase_at",
                    "last_login",
                    "last_consent_change_at",
                ],
                rows(),
            )
        self.stdout.write(
            f"{count} members due for retention review (inactive since before "
            f"{retention_cutoff():%Y-%m-%d}, "
            f"MEMBER_RETENTION_YEARS={settings.MEMBER_RETENTION_YEARS}); "
            f"written to {path}."
        )
