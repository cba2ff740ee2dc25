"""`make bench`: seed and score timings at scale on PostgreSQL (see __main__.py).

Each `tests/bench/bench_<name>.py` module defines `run(ctx)`; ctx is a BenchContext with
`ctx.members` (how many members the club has), `ctx.print(text)`, and three ways to report a
measure for the table:

    with ctx.timed("segment count", target=1.0):   # seconds; passes when under the target
        ...
    ctx.record("segment count", seconds, target=1.0)
    return [("segment count", seconds, 1.0)]       # or (measure, figure, target, passed)
"""
