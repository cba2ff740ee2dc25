"""The webhook events already processed, so a replayed or retried event is ignored: one row per
provider and event id, unique in the database. Part of the campaigns app (campaigns.models
imports it); old rows may be deleted with ``WebhookEvent.objects.older_than(...).delete()``
once providers no longer retry them (they give up within a day)."""

from __future__ import annotations

import datetime

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class WebhookEventQuerySet(models.QuerySet):
    def older_than(self, age: datetime.timedelta) -> WebhookEventQuerySet:
        return self.filter(received_at__lt=timezone.now() - age)


class WebhookEvent(models.Model):
    class Kind(models.TextChoices):
        RECEIPT = "receipt", _("delivery receipt")
        INBOUND = "inbound", _("inbound SMS")

    provider = models.CharField(_("provider"), max_length=20)
    event_id = models.CharField(_("event id"), max_length=200)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    received_at = models.DateTimeField(_("received at"), default=timezone.now, db_index=True)

    objects = WebhookEventQuerySet.as_manager()

    class Meta:
        app_label = "campaigns"
        verbose_name = _("SMS webhook event")
        verbose_name_plural = _("SMS webhook events")
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "event_id"], name="campaigns_webhookevent_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.provider} {self.kind} {self.event_id}"
