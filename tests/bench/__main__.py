"""Benchmarks at scale: `make bench` (or `python -m tests.bench [--members N]`).

Needs DATABASE_URL pointing at PostgreSQL; the benchmark uses its own database, `lojal_bench`
on the same server (dropped and created afresh, then migrated), never the one named in the URL.
It times `seed_demo --members N` (N = --members, else BENCH_MEMBERS, else 100 000) and
`member_scores_compute`, then runs `run(ctx)` of every tests/bench/bench_*.py module, and prints
a table: measure, figure, target, pass/fail. The exit status is 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import os
import pkgutil
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

BENCH_DATABASE = os.environ.get("BENCH_DATABASE") or "lojal_bench"
DEFAULT_MEMBERS = 100_000
# Targets in seconds, for 100 000 members (scaled down linearly for a smaller run).
SEED_TARGET = 180.0
SCORES_TARGET = 30.0


@dataclass
class Row:
    measure: str
    figure: float
    target: float
    passed: bool
    unit: str = "s"


@dataclass
class BenchContext:
    members: int
    print: Callable[[str], None]
    rows: list[Row] = field(default_factory=list)

    def record(
        self,
        measure: str,
        figure: float,
        target: float,
        passed: bool | None = None,
        unit: str = "s",
    ) -> None:
        """Report one measure; it passes when the figure is at most the target unless
        `passed` says otherwise."""
        ok = figure <= target if passed is None else bool(passed)
        self.rows.append(Row(measure, figure, target, ok, unit))
        self.print(f"  {measure}: {figure:.2f} {unit} (target {target:g} {unit})")

    @contextlib.contextmanager
    def timed(self, measure: str, *, target: float) -> Iterator[None]:
        started = time.perf_counter()
        yield
        self.record(measure, time.perf_counter() - started, target)


def _say(text: str) -> None:
    print(text, flush=True)


def _bench_url(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, parts.fragment))


def _recreate_database(url: str) -> None:
    import psycopg

    parts = urlsplit(url)
    maintenance = urlunsplit(("postgresql", parts.netloc, "/postgres", parts.query, ""))
    with psycopg.connect(maintenance, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{BENCH_DATABASE}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{BENCH_DATABASE}"')


def _modules() -> list[str]:
    here = Path(__file__).parent
    return sorted(
        f"tests.bench.{info.name}"
        for info in pkgutil.iter_modules([str(here)])
        if info.name.startswith("bench_")
    )


def _table(rows: list[Row]) -> str:
    header = ("measure", "figure", "target", "result")
    body = [
        (
            row.measure,
            f"{row.figure:.2f} {row.unit}",
            f"< {row.target:g} {row.unit}",
            "pass" if row.passed else "FAIL",
        )
        for row in rows
    ]
    widths = [max(len(line[i]) for line in [header, *body]) for i in range(4)]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True))
        for line in body
    ]
    rule = "  ".join("-" * width for width in widths)
    head = "  ".join(cell.ljust(width) for cell, width in zip(header, widths, strict=True))
    return "\n".join([head, rule, *lines])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.bench", description=__doc__)
    parser.add_argument(
        "--members",
        type=int,
        default=int(os.environ.get("BENCH_MEMBERS") or DEFAULT_MEMBERS),
        help="members in the demo club (BENCH_MEMBERS, default 100 000)",
    )
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args(argv)

    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://", "pgsql://")):
        _say(
            "make bench needs PostgreSQL: set DATABASE_URL=postgres://user@host:5432/anything "
            f"(the benchmark creates and uses its own database {BENCH_DATABASE!r} on that server)."
        )
        return 2
    _say(f"Benchmark with {args.members} members in database {BENCH_DATABASE!r}")
    _recreate_database(url)
    os.environ["DATABASE_URL"] = _bench_url(url, BENCH_DATABASE)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
    os.environ.setdefault("LOG_LEVEL", "WARNING")

    import django

    django.setup()
    from django.core.management import call_command

    from members.services.scores import member_scores_compute

    scale = max(args.members, 1) / DEFAULT_MEMBERS
    ctx = BenchContext(members=args.members, print=_say)

    started = time.perf_counter()
    call_command("migrate", verbosity=0, interactive=False)
    _say(f"  migrated in {time.perf_counter() - started:.1f} s")

    with ctx.timed(f"seed_demo --members {args.members}", target=SEED_TARGET * min(scale, 1) or 1):
        call_command("seed_demo", members=args.members, seed=args.seed)
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    with ctx.timed("member_scores_compute", target=SCORES_TARGET * min(scale, 1) or 1):
        member_scores_compute()

    for name in _modules():
        _say(f"{name}:")
        module = importlib.import_module(name)
        returned = module.run(ctx)
        for item in returned or ():
            ctx.record(*item)

    _say("")
    _say(_table(ctx.rows))
    failed = [row.measure for row in ctx.rows if not row.passed]
    if failed:
        _say(f"\nMissed targets: {', '.join(failed)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
