"""Campaigns: the campaign with its variants, and the outbox of messages (one row per member,
campaign and channel, unique in the database)."""

from campaigns.webhooks.models import WebhookEvent

from .campaigns import Campaign, Trigger, Variant
from .messages import Bounce, Message, MessageTally

__all__ = ["Bounce", "Campaign", "Message", "MessageTally", "Trigger", "Variant", "WebhookEvent"]
