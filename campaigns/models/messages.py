"""The outbox: one row per member, campaign and channel (unique in the database), built in bulk
when sending starts and moved through its states by conditional updates only.

    queued ──claim──▶ claimed ──hand over──▶ sending ──accepted──▶ sent
       ▲                 │                      │  └──refused──▶ failed
       └──worker died────┘                      └──worker died──▶ in_doubt
    queued/claimed ──rule says no──▶ skipped (with the reason)
    held ──the A/B test's winner is chosen──▶ queued (test mode: the rest of the segment)

A claimed message has not left: if its worker dies it goes back to the queue. A message in
`sending` is being handed to the server at this moment; if its worker dies, nobody knows whether
it left, so it becomes `in_doubt` and is shown to staff, never sent again silently.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .campaigns import Campaign, Channel, Variant


class Message(models.Model):
    class State(models.TextChoices):
        HELD = "held", _("Waiting for the A/B test's winner")
        QUEUED = "queued", _("Queued")
        CLAIMED = "claimed", _("Claimed by a worker")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")
        SKIPPED = "skipped", _("Skipped")
        IN_DOUBT = "in_doubt", _("In doubt")

    class SkipReason(models.TextChoices):
        HOLDOUT = "holdout", _("In the holdout group")
        NO_CONSENT = "no_consent", _("No consent for this channel")
        FREQUENCY_CAP = "frequency_cap", _("Frequency cap reached")
        ERASED = "erased", _("Member erased")
        PAUSED = "paused", _("Member paused")
        HARD_BOUNCE = "hard_bounce", _("Address bounced")
        NO_ADDRESS = "no_address", _("No e-mail address or phone number")
        CANCELLED = "cancelled", _("Campaign cancelled")

    campaign = models.ForeignKey(
        Campaign, verbose_name=_("campaign"), on_delete=models.CASCADE, related_name="messages"
    )
    member = models.ForeignKey(
        "members.Member",
        verbose_name=_("member"),
        on_delete=models.CASCADE,
        related_name="campaign_messages",
    )
    channel = models.CharField(_("channel"), max_length=8, choices=Channel.choices)
    occasion_key = models.CharField(
        _("occasion"),
        max_length=120,
        blank=True,
        default="",
        help_text=_("For triggered messages: the occasion, sent once (e.g. birthday:2026)."),
    )
    variant = models.ForeignKey(
        Variant,
        verbose_name=_("variant"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="messages",
    )
    is_holdout = models.BooleanField(_("holdout"), default=False)
    body = models.TextField(
        _("text"), blank=True, help_text=_("A one-off message's own text (transactional SMS).")
    )
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.QUEUED)
    skip_reason = models.CharField(
        _("reason skipped"), max_length=20, choices=SkipReason.choices, blank=True
    )
    error = models.CharField(_("error"), max_length=300, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), default=timezone.now)
    claimed_by = models.BigIntegerField(_("worker"), null=True, blank=True)
    claimed_at = models.DateTimeField(_("claimed"), null=True, blank=True)
    address = models.CharField(_("sent to"), max_length=254, blank=True)
    language = models.CharField(_("language"), max_length=10, blank=True)
    provider_id = models.CharField(_("provider id"), max_length=120, blank=True)
    created_at = models.DateTimeField(_("queued"), default=timezone.now)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)
    opened_at = models.DateTimeField(_("opened"), null=True, blank=True)
    clicked_at = models.DateTimeField(_("clicked"), null=True, blank=True)
    unsubscribed_at = models.DateTimeField(_("unsubscribed"), null=True, blank=True)

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "member", "channel"],
                condition=models.Q(occasion_key=""),
                name="campaigns_message_once_per_campaign",
            ),
            models.UniqueConstraint(
                fields=["campaign", "member", "channel", "occasion_key"],
                condition=~models.Q(occasion_key=""),
                name="campaigns_message_once_per_occasion",
            ),
            models.CheckConstraint(
                condition=~models.Q(state="skipped") | ~models.Q(skip_reason=""),
                name="campaigns_message_skip_has_reason",
            ),
            models.CheckConstraint(
                condition=~models.Q(is_holdout=True) | models.Q(variant__isnull=True),
                name="campaigns_message_holdout_no_variant",
            ),
        ]
        indexes = [
            # The claim: due queued messages of one campaign, in order.
            models.Index(
                fields=["campaign", "next_attempt_at", "id"],
                condition=models.Q(state="queued"),
                name="campaigns_message_due",
            ),
            # Recovery after a worker died: the few claimed or sending rows.
            models.Index(
                fields=["claimed_by"],
                condition=models.Q(state__in=["claimed", "sending"]),
                name="campaigns_message_in_hand",
            ),
            # The frequency cap: what a member was sent lately.
            models.Index(
                fields=["member", "sent_at"],
                condition=models.Q(state="sent"),
                name="campaigns_message_member_sent",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.campaign_id}/{self.member_id} {self.get_state_display()}"


class Bounce(models.Model):
    """An address that bounced hard: no more e-mail to it."""

    address = models.CharField(_("address"), max_length=254, unique=True)
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("bounced"), default=timezone.now)

    class Meta:
        verbose_name = _("hard bounce")
        verbose_name_plural = _("hard bounces")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.address


class MessageTally(models.Model):
    """What erased members' deleted messages counted for, per campaign and group, so a
    campaign's figures survive erasure without keeping anything personal."""

    campaign = models.ForeignKey(
        Campaign, verbose_name=_("campaign"), on_delete=models.CASCADE, related_name="tallies"
    )
    variant = models.ForeignKey(
        Variant, verbose_name=_("variant"), null=True, blank=True, on_delete=models.CASCADE
    )
    is_holdout = models.BooleanField(_("holdout"), default=False)
    targeted = models.PositiveIntegerField(_("targeted"), default=0)
    sent = models.PositiveIntegerField(_("sent"), default=0)
    delivered = models.PositiveIntegerField(_("delivered"), default=0)
    opened = models.PositiveIntegerField(_("opened"), default=0)
    clicked = models.PositiveIntegerField(_("clicked"), default=0)
    unsubscribed = models.PositiveIntegerField(_("unsubscribed"), default=0)

    class Meta:
        verbose_name = _("count of erased members' messages")
        verbose_name_plural = _("counts of erased members' messages")

    def __str__(self) -> str:
        return f"{self.campaign_id}: {self.targeted}"
