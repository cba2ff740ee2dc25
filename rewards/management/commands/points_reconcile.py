"""Prove the ledger: every balance equals the sum of its entries and every lot adds up.
Exits 0 when all is well; otherwise lists the members and exits 1."""

from django.core.management.base import BaseCommand, CommandError

from rewards.selectors.ledger import points_reconcile


class Command(BaseCommand):
    help = "Check that every points balance equals its ledger and every lot adds up."

    def handle(self, *args, **options) -> None:
        problems = points_reconcile()
        if not problems:
            self.stdout.write(self.style.SUCCESS("Points ledger reconciled: no differences."))
            return
        members = sorted({problem.member_id for problem in problems})
        for problem in problems:
            self.stderr.write(f"member {problem.member_id}: {problem.problem}")
        raise CommandError(
            f"{len(members)} member(s) do not reconcile: {', '.join(map(str, members[:50]))}"
            + (" …" if len(members) > 50 else ""),
            returncode=1,
        )
