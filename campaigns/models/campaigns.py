"""A campaign, its variants and its schedule. Changed only through campaigns.services."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Channel(models.TextChoices):
    EMAIL = "email", _("E-mail")
    SMS = "sms", _("SMS")


class Campaign(models.Model):
    class Goal(models.TextChoices):
        PURCHASE = "purchase", _("A purchase")
        REDEMPTION = "redemption", _("A reward redemption")
        EVENT_REGISTRATION = "event_registration", _("An event registration")
        CLICK = "click", _("A click")

    class Schedule(models.TextChoices):
        NOW = "now", _("Now")
        AT = "at", _("At a time")
        RECURRING = "recurring", _("Recurring")

    class State(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SCHEDULED = "scheduled", _("Scheduled")
        SENDING = "sending", _("Sending")
        PAUSED = "paused", _("Paused")
        SENT = "sent", _("Sent")
        CANCELLED = "cancelled", _("Cancelled")

    class Purpose(models.TextChoices):
        MARKETING = "marketing", _("Marketing")
        TRANSACTIONAL = "transactional", _("Transactional")

    class TriggerKind(models.TextChoices):
        WELCOME = "welcome", _("Welcome series after joining")
        BIRTHDAY = "birthday", _("Birthday")
        POINTS_EXPIRING = "points_expiring", _("Points expiring within 30 days")
        WIN_BACK = "win_back", _("Win-back: no purchase for N days")
        FIRST_PURCHASE = "first_purchase", _("After the first purchase")
        TIER_UPGRADE = "tier_upgrade", _("Tier upgrade")

    Channel = Channel

    name = models.CharField(_("name"), max_length=160)
    key = models.CharField(
        _("system key"),
        max_length=40,
        blank=True,
        default="",
        help_text=_("Set for campaigns the system keeps for itself (transactional SMS)."),
    )
    trigger = models.CharField(
        _("trigger"),
        max_length=20,
        choices=TriggerKind.choices,
        blank=True,
        default="",
        help_text=_("Set for automatic messages; empty for a campaign sent once."),
    )
    trigger_days = models.PositiveSmallIntegerField(
        _("days (win-back)"),
        null=True,
        blank=True,
        help_text=_("Win-back: days without a purchase before the message goes."),
    )
    purpose = models.CharField(
        _("purpose"),
        max_length=16,
        choices=Purpose.choices,
        default=Purpose.MARKETING,
        help_text=_(
            "Marketing needs the member's consent and counts towards the frequency cap; "
            "transactional messages are never capped."
        ),
    )
    goal_kind = models.CharField(
        _("goal"), max_length=20, choices=Goal.choices, default=Goal.PURCHASE
    )
    goal_window_days = models.PositiveSmallIntegerField(
        _("goal window (days)"),
        default=7,
        validators=[MinValueValidator(1), MaxValueValidator(365)],
        help_text=_("A conversion counts when the goal happens within this many days."),
    )
    segment = models.ForeignKey(
        "members.Segment",
        verbose_name=_("segment"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    snapshot = models.ForeignKey(
        "members.SegmentSnapshot",
        verbose_name=_("segment snapshot"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("The segment's members, frozen when sending started."),
    )
    channel = models.CharField(
        _("channel"), max_length=8, choices=Channel.choices, default=Channel.EMAIL
    )
    holdout_share = models.DecimalField(
        _("holdout share"),
        max_digits=4,
        decimal_places=3,
        default=0,
        validators=[MinValueValidator(0), MaxValueValidator(0.5)],
        help_text=_("Part of the segment deliberately not sent, to measure uplift (0–0.5)."),
    )
    test_share = models.DecimalField(
        _("A/B test share"),
        max_digits=4,
        decimal_places=3,
        default=0,
        validators=[MinValueValidator(0), MaxValueValidator(1)],
        help_text=_(
            "Test mode: the variants go to this part of the non-holdout members first, and the "
            "winner to the rest after the hours below. 0: no test, the variants split everyone."
        ),
    )
    test_hours = models.PositiveSmallIntegerField(_("choose the winner after (hours)"), default=4)
    test_metric = models.CharField(
        _("winner by"),
        max_length=10,
        choices=[("goal", _("The campaign's goal")), ("clicks", _("Clicks"))],
        default="clicks",
    )
    winner = models.ForeignKey(
        "campaigns.Variant",
        verbose_name=_("winning variant"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    winner_chosen_at = models.DateTimeField(_("winner chosen"), null=True, blank=True)
    schedule = models.CharField(
        _("schedule"), max_length=10, choices=Schedule.choices, default=Schedule.NOW
    )
    send_at = models.DateTimeField(_("send at"), null=True, blank=True)
    recur_every_days = models.PositiveSmallIntegerField(
        _("repeat every (days)"), null=True, blank=True
    )
    state = models.CharField(
        _("state"), max_length=10, choices=State.choices, default=State.DRAFT, db_index=True
    )
    state_note = models.CharField(_("note"), max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    started_at = models.DateTimeField(_("sending started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("sending finished"), null=True, blank=True)
    targeted_count = models.PositiveIntegerField(_("targeted"), default=0)

    class Meta:
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        ordering = ["-created_at", "-id"]
        permissions = [("send_campaign", _("Can schedule, pause and cancel campaigns"))]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(holdout_share__gte=0) & models.Q(holdout_share__lte=0.5),
                name="campaigns_campaign_holdout_range",
            ),
            models.CheckConstraint(
                condition=~models.Q(schedule="at") | models.Q(send_at__isnull=False),
                name="campaigns_campaign_at_has_time",
            ),
            models.UniqueConstraint(
                fields=["key"], condition=~models.Q(key=""), name="campaigns_campaign_key_uniq"
            ),
            models.CheckConstraint(
                condition=models.Q(test_share__gte=0) & models.Q(test_share__lte=1),
                name="campaigns_campaign_test_share_range",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_editable(self) -> bool:
        if self.trigger:
            return True  # a trigger's content and settings may change; sent messages stay
        return self.state in (self.State.DRAFT, self.State.SCHEDULED)


class TriggerManager(models.Manager["Trigger"]):
    def get_queryset(self):
        return super().get_queryset().exclude(trigger="")


class Trigger(Campaign):
    """A campaign that sends by itself when its condition holds, each member once per
    occasion (the outbox's unique occasion key). On while its state is "sending"."""

    objects = TriggerManager()  # type: ignore[assignment,misc]

    class Meta:
        proxy = True
        verbose_name = _("trigger")
        verbose_name_plural = _("triggers")


class Variant(models.Model):
    """One version of the message, sent to `share` of the members outside the holdout. Content in
    Swedish and English; each member gets their language."""

    campaign = models.ForeignKey(
        Campaign, verbose_name=_("campaign"), on_delete=models.CASCADE, related_name="variants"
    )
    name = models.CharField(_("name"), max_length=40, default="A")
    share = models.DecimalField(
        _("share"),
        max_digits=4,
        decimal_places=3,
        default=1,
        validators=[MinValueValidator(0.001), MaxValueValidator(1)],
        help_text=_("Part of the sent members who get this variant; the shares add up to 1."),
    )
    subject_sv = models.CharField(_("subject (Swedish)"), max_length=200, blank=True)
    subject_en = models.CharField(_("subject (English)"), max_length=200, blank=True)
    preheader_sv = models.CharField(_("preheader (Swedish)"), max_length=200, blank=True)
    preheader_en = models.CharField(_("preheader (English)"), max_length=200, blank=True)
    blocks_sv = models.JSONField(_("content blocks (Swedish)"), default=list, blank=True)
    blocks_en = models.JSONField(_("content blocks (English)"), default=list, blank=True)
    sms_text_sv = models.TextField(_("SMS text (Swedish)"), blank=True)
    sms_text_en = models.TextField(_("SMS text (English)"), blank=True)
    delay_days = models.PositiveSmallIntegerField(
        _("days after joining"),
        default=0,
        help_text=_("Welcome series: each variant is a step, sent this many days after joining."),
    )

    class Meta:
        verbose_name = _("variant")
        verbose_name_plural = _("variants")
        ordering = ["campaign", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "name"], name="campaigns_variant_name_uniq"
            ),
            models.CheckConstraint(
                condition=models.Q(share__gt=0) & models.Q(share__lte=1),
                name="campaigns_variant_share_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.campaign} – {self.name}"

    def content(self, language: str) -> dict:
        """The variant's content in `language` (sv or en), falling back to the other."""
        first, second = ("sv", "en") if language == "sv" else ("en", "sv")

        def pick(field: str):
            return getattr(self, f"{field}_{first}") or getattr(self, f"{field}_{second}")

        return {
            "subject": pick("subject"),
            "preheader": pick("preheader"),
            "blocks": pick("blocks"),
            "sms_text": pick("sms_text"),
        }
