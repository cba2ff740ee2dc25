"""Campaigns, variants, schedules and triggers, the outbox, delivery tracking, e-mail and SMS
backends."""

from campaigns.webhooks.models import WebhookEvent  # noqa: F401  (its migration is campaigns 0100)
