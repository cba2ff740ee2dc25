"""Rewards admin, one module per area: ledger, tiers, rules and catalogue (ledger.py), and the
areas added later import themselves here."""

from . import ledger  # noqa: F401
