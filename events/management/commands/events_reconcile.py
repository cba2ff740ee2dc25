"""Prove the events: seats never above capacity, stored counts equal to the registrations, points
prices paid and refunded equal to the ledger. Exits 0 when all is well; otherwise lists what is
wrong and exits 1."""

from django.core.management.base import BaseCommand, CommandError

from events.selectors.reconcile import events_reconcile


class Command(BaseCommand):
    help = "Check that no event is overbooked and every points price matches the ledger."

    def handle(self, *args, **options) -> None:
        problems = events_reconcile()
        if not problems:
            self.stdout.write(self.style.SUCCESS("Events reconciled: no differences."))
            return
        for problem in problems:
            self.stderr.write(f"{problem.kind} {problem.pk}: {problem.problem}")
        raise CommandError(f"{len(problems)} problem(s) in events.", returncode=1)
