"""What every app needs: a timestamped base model, the audit log, API idempotency keys and the
outbox of e-mail waiting to leave."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(_("created"), auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        abstract = True


class AuditLogEntry(models.Model):
    """Who did what to which object, from where, when. Written only by core.services.audit_log."""

    created_at = models.DateTimeField(_("when"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("who"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("Empty when the system did it."),
    )
    actor_label = models.CharField(_("who (as recorded)"), max_length=254)
    action = models.CharField(_("action"), max_length=100, db_index=True)
    target_type = models.CharField(_("object type"), max_length=100, blank=True, db_index=True)
    target_id = models.CharField(_("object id"), max_length=64, blank=True, db_index=True)
    target_repr = models.CharField(_("object"), max_length=200, blank=True)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    details = models.JSONField(_("details"), default=dict, blank=True)

    class Meta:
        verbose_name = _("audit log entry")
        verbose_name_plural = _("audit log")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["target_type", "target_id", "-created_at"])]
        # The back office's Settings group (technical tables): club admins only.
        permissions = [("view_settings", _("Can see the back office's settings"))]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.actor_label} {self.action}"


class IdempotencyKey(models.Model):
    """The first response to an API write, replayed when the same user sends the same key."""

    # user is indexed by core_idempotency_user_key_uniq (user first).
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,
    )
    key = models.CharField(_("key"), max_length=255)
    fingerprint = models.CharField(
        _("fingerprint"), max_length=64, help_text=_("SHA-256 of method, path and body.")
    )
    response_status = models.PositiveSmallIntegerField(_("response status"))
    response_body = models.JSONField(_("response body"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("idempotency key")
        verbose_name_plural = _("idempotency keys")
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="core_idempotency_user_key_uniq")
        ]

    def __str__(self) -> str:
        return self.key


class OutgoingEmail(models.Model):
    """An e-mail on its way out. Written in the transaction that caused it, so it leaves only if
    that transaction commits and is not lost when the broker is down; the worker sends it
    (core.email.outgoing_emails_send) and keeps it, sent or failed, for the admin."""

    class Status(models.TextChoices):
        PENDING = "pending", _("waiting")
        SENDING = "sending", _("sending")
        SENT = "sent", _("sent")
        FAILED = "failed", _("failed")

    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    recipients = models.CharField(_("to"), max_length=1000)
    subject = models.CharField(_("subject"), max_length=255)
    payload = models.JSONField(_("message"), help_text=_("What the worker sends."))
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(
        _("next attempt"), help_text=_("While sending: when the attempt is given up.")
    )
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("queued"))
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)

    class Meta:
        verbose_name = _("outgoing e-mail")
        verbose_name_plural = _("outgoing e-mail")
        ordering = ["-id"]  # the order they were queued in, by the primary key's index
        indexes = [
            # What the worker looks for: only the few rows not yet sent or failed.
            models.Index(
                fields=["next_attempt_at"],
                condition=models.Q(status__in=["pending", "sending"]),
                name="core_outgoingemail_due_idx",
            ),
            # What the purge looks for; a queued (waiting) e-mail is not in it.
            models.Index(
                fields=["sent_at"],
                condition=models.Q(status="sent"),
                name="core_outgoingemail_sent_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.subject} → {self.recipients}"


class DashboardTileData(models.Model):
    """The staff dashboard's rollup: a tile's data (core.dashboard's shape) for one period and
    language, as computed at `computed_at`. Refreshed by a periodic task, so the dashboard reads
    one row per tile however large the club; written only by core.services."""

    tile = models.CharField(_("tile"), max_length=100)
    period = models.CharField(_("period"), max_length=10)
    language = models.CharField(_("language"), max_length=10)
    data = models.JSONField(_("data"), null=True)
    computed_at = models.DateTimeField(_("computed"))

    class Meta:
        verbose_name = _("dashboard figures")
        verbose_name_plural = _("dashboard figures")
        constraints = [
            models.UniqueConstraint(
                fields=["period", "language", "tile"], name="core_dashboardtiledata_uniq"
            )
        ]

    def __str__(self) -> str:
        return f"{self.tile} {self.period} {self.language}"
