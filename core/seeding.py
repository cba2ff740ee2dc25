"""The demo-club registry. Each app's `demo.py` registers seeders with `@demo_seeder(order=...)`;
`manage.py seed_demo` runs them in order with one shared context, so `core` imports no app."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass
class SeedContext:
    members: int
    seed: int
    rng: random.Random
    out: Callable[[str], None]
    # What earlier seeders made, for later ones: e.g. "staff", "member_ids", "stores".
    made: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Seeder:
    name: str
    order: int
    func: Callable[[SeedContext], None]


_seeders: dict[str, Seeder] = {}


def demo_seeder(*, order: int) -> Callable[[Callable[[SeedContext], None]], Callable]:
    def register(func: Callable[[SeedContext], None]) -> Callable[[SeedContext], None]:
        name = f"{func.__module__}.{func.__name__}"
        _seeders[name] = Seeder(name=name, order=order, func=func)
        return func

    return register


def demo_seeders() -> list[Seeder]:
    return sorted(_seeders.values(), key=lambda s: (s.order, s.name))
