"""Campaigns admin, one module per area: campaigns with their variants, report, preview and test
send (campaigns.py); the outbox and bounces, read-only (messages.py)."""

from . import (
    campaigns,  # noqa: F401
    messages,  # noqa: F401
    triggers,  # noqa: F401
)
