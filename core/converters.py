"""URL converters shared by the apps' routes."""

from __future__ import annotations

MAX_DATABASE_ID = 2**63 - 1  # PostgreSQL bigint


class DatabaseIdConverter:
    """``<dbid:name>``: a positive database id, 1 … 2**63 − 1. Anything else (0, a sign, more
    digits than a bigint holds) does not match the route, so it is a 404 rather than a number
    the database cannot take (hardening-auth: the API fuzzer's find)."""

    regex = "[1-9][0-9]{0,18}"

    def to_python(self, value: str) -> int:
        number = int(value)
        if number > MAX_DATABASE_ID:
            raise ValueError(value)  # no match
        return number

    def to_url(self, value: int) -> str:
        return str(value)
