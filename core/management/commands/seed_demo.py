"""Build a realistic demo club: `manage.py seed_demo --members 1000 --seed 7`.

Deterministic for a given --seed. Each app adds its part in its own demo.py (see core.seeding).
"""

from __future__ import annotations

import random
import time

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils.module_loading import autodiscover_modules

from core.seeding import SeedContext, demo_seeders


class Command(BaseCommand):
    help = "Create a demo club with staff in every role and members with realistic data."

    def add_arguments(self, parser):
        parser.add_argument("--members", type=int, default=300, help="How many members (300).")
        parser.add_argument("--seed", type=int, default=2026, help="Random seed (2026).")
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Do nothing when the database already has users (for `make demo`).",
        )

    def handle(self, *args, members: int, seed: int, if_empty: bool, **options):
        if members < 0 or members > 2_000_000:
            raise CommandError("--members must be between 0 and 2 000 000.")
        if get_user_model().objects.exists():
            if if_empty:
                self.stdout.write("The database already has users: demo data left as it is.")
                return
            raise CommandError(
                "The database already has users. seed_demo fills an empty database "
                "(run `make clean` first for a fresh demo)."
            )
        autodiscover_modules("demo")
        context = SeedContext(
            members=members, seed=seed, rng=random.Random(seed), out=self.stdout.write
        )
        started = time.monotonic()
        for seeder in demo_seeders():
            step_started = time.monotonic()
            with transaction.atomic():
                seeder.func(context)
            self.stdout.write(f"  {seeder.name}: {time.monotonic() - step_started:.1f} s")
        self.stdout.write(
            self.style.SUCCESS(f"Demo club ready in {time.monotonic() - started:.1f} s.")
        )
