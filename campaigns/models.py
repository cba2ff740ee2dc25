"""Campaigns, variants, schedules and triggers, the outbox, delivery tracking, e-mail and SMS
backends."""
