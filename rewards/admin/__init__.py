"""Rewards admin, one module per area: ledger, tiers, rules and catalogue (ledger.py), and the
areas added later import themselves here."""

from . import (
    earning,  # noqa: F401
    gamification,  # noqa: F401
    ledger,  # noqa: F401
)
