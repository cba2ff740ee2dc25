"""Rewards: the points ledger, earning rules, tiers, the choose-your-own catalogue and redemptions.

The ledger is append-only. Every change of a member's points is a `PointsEntry`; credits create
`PointsLot`s (with an expiry date) and debits draw from lots oldest-first, each draw recorded as a
`PointsLotDraw`. `PointsAccount` keeps the balance beside the ledger, changed in the same
transaction under a row lock. Only `rewards.services` write any of these models.

Invariants the database holds (and `manage.py points_reconcile` proves):
  account.balance == sum(entry.amount)          account.debt == sum(entry.debt_change)
  lot.remaining == lot.amount - sum(draws)       account.balance == sum(lot.remaining)
  balance >= 0, debt >= 0, and never both > 0    0 <= lot.remaining <= lot.amount
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.validators import FileExtensionValidator
from django.db import models
from django.db.models import Q, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import get_language, gettext
from django.utils.translation import gettext_lazy as _

from members.models import Member, Segment, Store

PICTURE_EXTENSIONS = ["jpg", "jpeg", "png", "webp", "gif"]


def _localized(obj: object, field: str, language: str | None = None) -> str:
    language = (language or get_language() or settings.LANGUAGE_CODE)[:2]
    preferred = getattr(obj, f"{field}_{'sv' if language == 'sv' else 'en'}")
    return preferred or getattr(obj, f"{field}_en") or getattr(obj, f"{field}_sv")


class NameAndDescription:
    """For models with name_sv/name_en and description_sv/description_en: `name` and
    `description` in the active language (the other language when one is empty)."""

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return _localized(self, "name")

    @property
    def description(self) -> str:
        return _localized(self, "description")


# --- Tiers -------------------------------------------------------------------------------------


class Tier(models.Model):
    """A level of the club (Bas, Silver, Guld) reached by points *earned* in a rolling 12 months."""

    name_sv = models.CharField(_("name (Swedish)"), max_length=80)
    name_en = models.CharField(_("name (English)"), max_length=80)
    threshold = models.PositiveIntegerField(
        _("points to reach it"),
        help_text=_("Points earned in the last 12 months (not the balance) that reach this tier."),
    )
    benefits_sv = models.TextField(_("benefits (Swedish)"), blank=True)
    benefits_en = models.TextField(_("benefits (English)"), blank=True)
    multiplier = models.DecimalField(
        _("points multiplier"),
        max_digits=4,
        decimal_places=2,
        default=1,
        help_text=_("Purchase points are multiplied by this for members of the tier."),
    )
    order = models.PositiveSmallIntegerField(_("order"), unique=True)

    class Meta:
        verbose_name = _("tier")
        verbose_name_plural = _("tiers")
        ordering = ["order"]
        constraints = [
            models.UniqueConstraint(fields=["threshold"], name="rewards_tier_threshold_uniq"),
            models.CheckConstraint(
                condition=Q(multiplier__gt=0), name="rewards_tier_multiplier_positive"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return _localized(self, "name")

    @property
    def benefits(self) -> str:
        return _localized(self, "benefits")

    @property
    def benefit_lines(self) -> list[str]:
        return [line.strip() for line in self.benefits.splitlines() if line.strip()]


# --- The ledger --------------------------------------------------------------------------------


class PointsAccount(models.Model):
    """A member's balance (and debt from returns), kept beside the ledger in the same transaction,
    and their current tier. Rows are locked (select_for_update) by every service that changes
    the member's points."""

    member = models.OneToOneField(
        Member,
        verbose_name=_("member"),
        primary_key=True,
        on_delete=models.PROTECT,
        related_name="points_account",
    )
    balance = models.IntegerField(_("balance"), default=0)
    debt = models.IntegerField(
        _("debt"),
        default=0,
        help_text=_("Points taken back by returns beyond the balance, paid off by later earnings."),
    )
    tier = models.ForeignKey(
        Tier,
        verbose_name=_("tier"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="accounts",
    )
    tier_since = models.DateField(_("tier since"), null=True, blank=True)
    tier_review_on = models.DateField(_("next tier review"), null=True, blank=True, db_index=True)
    tier_grace_until = models.DateField(_("grace period ends"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("points account")
        verbose_name_plural = _("points accounts")
        constraints = [
            models.CheckConstraint(
                condition=Q(balance__gte=0), name="rewards_account_balance_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(debt__gte=0), name="rewards_account_debt_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(debt=0) | Q(balance=0), name="rewards_account_debt_only_when_empty"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.member_id}: {self.balance}"


class PointsEntryQuerySet(models.QuerySet["PointsEntry"]):
    def qualifying_points(self, *, since: datetime.datetime) -> int:
        """Points earned since `since` that count towards tiers."""
        return self.filter(created_at__gte=since).aggregate(total=Coalesce(Sum("qualifying"), 0))[
            "total"
        ]


class PointsEntry(models.Model):
    """One change of a member's points. Never edited or deleted: a mistake is reversed by a new
    entry. `amount` is the change of the balance, `debt_change` the change of the debt (a return
    beyond the balance, and the part of later earnings that pays it off), `qualifying` what the
    entry counts towards tiers (points earned; minus what returns took back)."""

    class Kind(models.TextChoices):
        EARN = "earn", _("Earned")
        REDEEM = "redeem", _("Redeemed")
        EXPIRE = "expire", _("Expired")
        ADJUST = "adjust", _("Adjusted")
        REVERSE = "reverse", _("Reversed")

    # Indexes: every redemption writes one entry, so none is kept that another already covers
    # (member by rewards_entry_member_time, cause_type by rewards_entry_cause, and the key's
    # uniqueness by a constraint, without the LIKE index a unique field gets on PostgreSQL).
    member = models.ForeignKey(
        Member,
        verbose_name=_("member"),
        on_delete=models.PROTECT,
        related_name="points_entries",
        db_index=False,
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    amount = models.IntegerField(_("points"))
    debt_change = models.IntegerField(_("debt change"), default=0)
    qualifying = models.IntegerField(_("tier points"), default=0)
    reason = models.CharField(
        _("reason"),
        max_length=255,
        help_text=_("Shown to the member; system reasons are translated when shown."),
    )
    reason_params = models.JSONField(_("reason details"), default=dict, blank=True)
    cause_type = models.ForeignKey(
        ContentType,
        verbose_name=_("cause type"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    cause_id = models.PositiveBigIntegerField(_("cause id"), null=True, blank=True)
    cause_label = models.CharField(
        _("cause"), max_length=60, blank=True, help_text=_("e.g. purchase, profile_completed")
    )
    reverses = models.ForeignKey(
        "self",
        verbose_name=_("reverses"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reversals",
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("made by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("Empty when the system made it."),
    )
    idempotency_key = models.CharField(_("idempotency key"), max_length=200)
    created_at = models.DateTimeField(_("when"), default=timezone.now)

    objects = PointsEntryQuerySet.as_manager()

    class Meta:
        verbose_name = _("points entry")
        verbose_name_plural = _("points ledger")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["member", "-created_at", "-id"], name="rewards_entry_member_time"),
            # The dashboard's points per week (time-ordered inserts: always the rightmost page).
            models.Index(fields=["created_at"], name="rewards_entry_time"),
            models.Index(fields=["cause_type", "cause_id"], name="rewards_entry_cause"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["idempotency_key"], name="rewards_entry_key_uniq"),
            models.CheckConstraint(
                condition=~Q(amount=0) | ~Q(debt_change=0), name="rewards_entry_changes_something"
            ),
            models.CheckConstraint(
                condition=~Q(kind="earn") | (Q(amount__gte=0) & Q(debt_change__lte=0)),
                name="rewards_entry_earn_is_credit",
            ),
            models.CheckConstraint(
                condition=~Q(kind__in=["redeem", "expire"]) | (Q(amount__lt=0) & Q(debt_change=0)),
                name="rewards_entry_redeem_expire_are_debits",
            ),
        ]
        permissions = [("adjust_points", _("Can adjust members' points"))]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d} {self.member_id} {self.amount:+d} ({self.kind})"

    @property
    def reason_display(self) -> str:
        """The reason in the active language (system reasons are msgids with parameters)."""
        text = gettext(self.reason)
        if self.reason_params:
            language = (get_language() or settings.LANGUAGE_CODE)[:2]
            params = {
                name: (value.get(language) or next(iter(value.values()), ""))
                if isinstance(value, dict) and value
                else value
                for name, value in self.reason_params.items()
            }
            try:
                return text % params
            except (KeyError, TypeError, ValueError):
                return text
        return text


def default_expiry(earned_on: datetime.date) -> datetime.date | None:
    """The last day points earned on `earned_on` may be spent: 31 December of the
    REWARDS_POINTS_EXPIRY_YEARS-th calendar year after (None when points never expire)."""
    years = settings.REWARDS_POINTS_EXPIRY_YEARS
    if years is None or years < 0:
        return None
    return datetime.date(earned_on.year + years, 12, 31)


class PointsLot(models.Model):
    """Points credited together (one earning, an adjustment, points returned by a cancellation),
    spent oldest-first and expiring after `expires_on` (the last day they may be spent)."""

    member = models.ForeignKey(
        Member, verbose_name=_("member"), on_delete=models.PROTECT, related_name="points_lots"
    )
    entry = models.OneToOneField(
        PointsEntry, on_delete=models.PROTECT, related_name="lot", verbose_name=_("credited by")
    )
    amount = models.IntegerField(_("points"))
    remaining = models.IntegerField(_("remaining"))
    earned_at = models.DateTimeField(_("earned"))
    expires_on = models.DateField(_("expires after"), null=True, blank=True)

    class Meta:
        verbose_name = _("points lot")
        verbose_name_plural = _("points lots")
        ordering = ["expires_on", "id"]
        indexes = [
            models.Index(
                fields=["member", "expires_on", "id"],
                condition=Q(remaining__gt=0),
                name="rewards_lot_open_oldest",
            ),
            models.Index(
                fields=["expires_on"], condition=Q(remaining__gt=0), name="rewards_lot_open_expiry"
            ),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="rewards_lot_amount_positive"),
            models.CheckConstraint(
                condition=Q(remaining__gte=0) & Q(remaining__lte=models.F("amount")),
                name="rewards_lot_remaining_in_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.remaining}/{self.amount} → {self.expires_on}"


class PointsLotDraw(models.Model):
    """How much one debit took out of one lot (positive), or a reversal put back (negative)."""

    # entry is indexed by rewards_draw_entry_lot_uniq (entry first).
    entry = models.ForeignKey(
        PointsEntry,
        verbose_name=_("entry"),
        on_delete=models.PROTECT,
        related_name="draws",
        db_index=False,
    )
    lot = models.ForeignKey(
        PointsLot, verbose_name=_("lot"), on_delete=models.PROTECT, related_name="draws"
    )
    amount = models.IntegerField(_("points"))

    class Meta:
        verbose_name = _("lot draw")
        verbose_name_plural = _("lot draws")
        constraints = [
            models.CheckConstraint(condition=~Q(amount=0), name="rewards_draw_not_zero"),
            models.UniqueConstraint(fields=["entry", "lot"], name="rewards_draw_entry_lot_uniq"),
        ]

    def __str__(self) -> str:
        return f"{self.entry_id} ← {self.lot_id}: {self.amount}"


class TierChange(models.Model):
    """The log of every tier a member entered or left, and why."""

    class Reason(models.TextChoices):
        UPGRADE = "upgrade", _("Reached the threshold")
        GRACE = "grace", _("Below the threshold: grace period started")
        DOWNGRADE = "downgrade", _("Yearly review: downgraded")
        KEPT = "kept", _("Yearly review: tier kept")
        STAFF = "staff", _("Changed by staff")

    member = models.ForeignKey(
        Member, verbose_name=_("member"), on_delete=models.PROTECT, related_name="tier_changes"
    )
    from_tier = models.ForeignKey(
        Tier,
        verbose_name=_("from tier"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    to_tier = models.ForeignKey(
        Tier,
        verbose_name=_("to tier"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    reason = models.CharField(_("reason"), max_length=10, choices=Reason.choices)
    points_12m = models.IntegerField(_("points earned, 12 months"))
    created_at = models.DateTimeField(_("when"), default=timezone.now)

    class Meta:
        verbose_name = _("tier change")
        verbose_name_plural = _("tier history")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["member", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.member_id}: {self.from_tier_id} → {self.to_tier_id} ({self.reason})"


# --- Earning rules -----------------------------------------------------------------------------


class EarningRule(models.Model):
    """Points per SEK spent, for a channel and/or a store, within a validity window. For a
    purchase the most specific active rule wins (store, then channel, then the general rule)."""

    name = models.CharField(_("name"), max_length=120)
    channel = models.CharField(
        _("channel"),
        max_length=10,
        choices=[("online", _("Online")), ("store", _("In store"))],
        blank=True,
        help_text=_("Empty: every channel."),
    )
    store = models.ForeignKey(
        Store,
        verbose_name=_("store"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Empty: every store."),
    )
    points_per_sek = models.DecimalField(_("points per SEK"), max_digits=6, decimal_places=3)
    valid_from = models.DateTimeField(_("valid from"), null=True, blank=True)
    valid_until = models.DateTimeField(_("valid until"), null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("earning rule")
        verbose_name_plural = _("earning rules")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(points_per_sek__gte=0), name="rewards_rule_rate_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(valid_from__isnull=True)
                | Q(valid_until__isnull=True)
                | Q(valid_until__gt=models.F("valid_from")),
                name="rewards_rule_window_order",
            ),
        ]

    def __str__(self) -> str:
        return self.name


# --- Bonus periods and activity rules (earning helper) -----------------------------------------


class BonusPeriod(models.Model):
    """Extra points for purchases between two moments, for a segment (or everyone), optionally
    one channel or store. A purchase earns its base points times the highest multiplier of the
    bonus periods that apply (bonuses are not compounded; the tier multiplier still applies)."""

    name = models.CharField(
        _("name"), max_length=120, help_text=_("Shown to the member, e.g. “Double points week”.")
    )
    multiplier = models.DecimalField(
        _("multiplier"),
        max_digits=4,
        decimal_places=2,
        help_text=_("More than 1: 2.00 gives double points."),
    )
    segment = models.ForeignKey(
        Segment,
        verbose_name=_("segment"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Empty: every member."),
    )
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"), help_text=_("Purchases before this moment count."))
    channel = models.CharField(
        _("channel"),
        max_length=10,
        choices=[("online", _("Online")), ("store", _("In store"))],
        blank=True,
        help_text=_("Empty: every channel."),
    )
    store = models.ForeignKey(
        Store,
        verbose_name=_("store"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Empty: every store."),
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("bonus period")
        verbose_name_plural = _("bonus periods")
        ordering = ["-starts_at", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(multiplier__gt=1), name="rewards_bonus_multiplier_above_one"
            ),
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")), name="rewards_bonus_window_order"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        errors: dict[str, Any] = {}
        if self.multiplier is not None and self.multiplier <= 1:
            errors["multiplier"] = _(
                "The multiplier must be more than 1 (2.00 gives double points)."
            )
        if self.starts_at and self.ends_at and self.ends_at <= self.starts_at:
            errors["ends_at"] = _("The bonus period must end after it starts.")
        if errors:
            raise ValidationError(errors)


class Activity(models.TextChoices):
    PROFILE_COMPLETED = "profile_completed", _("Profile completed")
    CONSENT_GIVEN = "consent_given", _("Marketing consent given")
    BIRTHDAY = "birthday", _("Birthday")
    EVENT_ATTENDED = "event_attended", _("Event attended")
    FORUM_ANSWER_ACCEPTED = "forum_answer_accepted", _("Forum answer accepted")
    SURVEY_ANSWERED = "survey_answered", _("Survey answered")
    SUGGESTION_ADOPTED = "suggestion_adopted", _("Suggestion adopted")
    REFERRAL_PURCHASE = "referral_purchase", _("Referred friend bought")


class ActivityRule(models.Model):
    """Points for something a member does other than buying. For an activity the active rule
    valid at the moment wins (the newest when several overlap); caps count the member's earlier
    points for the same activity."""

    activity = models.CharField(
        _("activity"), max_length=30, choices=Activity.choices, db_index=True
    )
    points = models.PositiveIntegerField(_("points"), help_text=_("Whole points, more than 0."))
    valid_from = models.DateTimeField(
        _("valid from"), null=True, blank=True, help_text=_("Empty: from the start.")
    )
    valid_until = models.DateTimeField(
        _("valid until"), null=True, blank=True, help_text=_("Empty: no end.")
    )
    is_active = models.BooleanField(_("active"), default=True)
    cap_per_day = models.PositiveSmallIntegerField(
        _("at most per day"),
        null=True,
        blank=True,
        help_text=_("How many times a member may earn this in one day. Empty: no limit."),
    )
    cap_per_period = models.PositiveSmallIntegerField(
        _("at most per period"),
        null=True,
        blank=True,
        help_text=_("How many times a member may earn this within the period below."),
    )
    period_days = models.PositiveSmallIntegerField(
        _("period (days)"),
        null=True,
        blank=True,
        help_text=_("The length of the period, e.g. 30: at most 3 times in 30 days."),
    )
    once_per_member = models.BooleanField(
        _("once per member"),
        default=False,
        help_text=_("Earned only once ever, e.g. for completing the profile."),
    )

    class Meta:
        verbose_name = _("activity rule")
        verbose_name_plural = _("activity rules")
        ordering = ["activity", "-valid_from"]
        constraints = [
            models.CheckConstraint(condition=Q(points__gt=0), name="rewards_activity_points_pos"),
            models.CheckConstraint(
                condition=Q(valid_from__isnull=True)
                | Q(valid_until__isnull=True)
                | Q(valid_until__gt=models.F("valid_from")),
                name="rewards_activity_window_order",
            ),
            models.CheckConstraint(
                condition=Q(cap_per_day__isnull=True) | Q(cap_per_day__gt=0),
                name="rewards_activity_day_cap_pos",
            ),
            models.CheckConstraint(
                condition=(Q(cap_per_period__isnull=True) & Q(period_days__isnull=True))
                | (Q(cap_per_period__gt=0) & Q(period_days__gt=0)),
                name="rewards_activity_period_cap",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_activity_display()}: {self.points}"

    def clean(self) -> None:
        errors: dict[str, Any] = {}
        if self.points is not None and self.points <= 0:
            errors["points"] = _("The number of points must be more than zero.")
        if self.valid_from and self.valid_until and self.valid_until <= self.valid_from:
            errors["valid_until"] = _("The rule must end after it starts.")
        if self.cap_per_day is not None and self.cap_per_day <= 0:
            errors["cap_per_day"] = _("A daily limit must be at least 1 (empty: no limit).")
        if (self.cap_per_period is None) != (self.period_days is None):
            errors["period_days"] = _(
                "Give both “at most per period” and “period (days)”, or neither."
            )
        elif self.cap_per_period is not None and (
            self.cap_per_period <= 0 or (self.period_days or 0) <= 0
        ):
            errors["cap_per_period"] = _("A period limit and its length must be at least 1.")
        if errors:
            raise ValidationError(errors)


# --- The catalogue -----------------------------------------------------------------------------


class RewardQuerySet(models.QuerySet["Reward"]):
    def available_at(self, moment: datetime.datetime) -> RewardQuerySet:
        return self.filter(
            Q(is_active=True),
            Q(valid_from__isnull=True) | Q(valid_from__lte=moment),
            Q(valid_until__isnull=True) | Q(valid_until__gt=moment),
        )


class Reward(NameAndDescription, models.Model):
    """Something a member can choose to spend points on."""

    class Kind(models.TextChoices):
        VOUCHER = "voucher", _("Voucher")
        PRODUCT = "product", _("Product")
        EXPERIENCE = "experience", _("Experience")
        PARTNER = "partner", _("Partner offer")
        CHARITY = "charity", _("Charity donation")
        SERVICE = "service", _("Service")

    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices, db_index=True)
    name_sv = models.CharField(_("name (Swedish)"), max_length=120)
    name_en = models.CharField(_("name (English)"), max_length=120)
    description_sv = models.TextField(_("description (Swedish)"), blank=True)
    description_en = models.TextField(_("description (English)"), blank=True)
    points_cost = models.PositiveIntegerField(_("points"))
    stock = models.PositiveIntegerField(
        _("stock"), null=True, blank=True, help_text=_("Empty: unlimited.")
    )
    per_member_limit = models.PositiveIntegerField(
        _("limit per member"), null=True, blank=True, help_text=_("Empty: no limit.")
    )
    tiers = models.ManyToManyField(
        Tier,
        verbose_name=_("tiers"),
        blank=True,
        related_name="rewards",
        help_text=_("Only members of these tiers see it. None chosen: every member."),
    )
    segment = models.ForeignKey(
        Segment,
        verbose_name=_("segment"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Only members of this segment see it."),
    )
    valid_from = models.DateTimeField(_("available from"), null=True, blank=True)
    valid_until = models.DateTimeField(_("available until"), null=True, blank=True)
    picture = models.FileField(
        _("picture"),
        upload_to="rewards/",
        blank=True,
        validators=[FileExtensionValidator(PICTURE_EXTENSIONS)],
    )
    voucher_value = models.DecimalField(
        _("voucher value (SEK)"), max_digits=10, decimal_places=2, null=True, blank=True
    )
    voucher_percent = models.PositiveSmallIntegerField(
        _("voucher discount (%)"), null=True, blank=True
    )
    voucher_valid_days = models.PositiveIntegerField(
        _("voucher valid for (days)"), null=True, blank=True
    )
    stores = models.ManyToManyField(
        Store,
        verbose_name=_("used in stores"),
        blank=True,
        related_name="+",
        help_text=_("Stores where its voucher can be used at the till. None chosen: every store."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    order = models.IntegerField(_("order"), default=0)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = RewardQuerySet.as_manager()

    class Meta:
        verbose_name = _("reward")
        verbose_name_plural = _("rewards")
        ordering = ["order", "points_cost", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(points_cost__gt=0), name="rewards_reward_cost_positive"
            ),
            models.CheckConstraint(
                condition=Q(per_member_limit__isnull=True) | Q(per_member_limit__gt=0),
                name="rewards_reward_limit_positive",
            ),
            models.CheckConstraint(
                condition=Q(voucher_percent__isnull=True) | Q(voucher_percent__lte=100),
                name="rewards_reward_percent_range",
            ),
            models.CheckConstraint(
                condition=Q(valid_from__isnull=True)
                | Q(valid_until__isnull=True)
                | Q(valid_until__gt=models.F("valid_from")),
                name="rewards_reward_window_order",
            ),
        ]

    @property
    def unlimited(self) -> bool:
        return self.stock is None

    @property
    def is_physical(self) -> bool:
        """A product the member receives: the redemption says how (post or pickup)."""
        return self.kind == self.Kind.PRODUCT


class Redemption(models.Model):
    """A member's choice of a reward, paid with points. Made and cancelled only by
    rewards.services.redemptions."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        FULFILLED = "fulfilled", _("Fulfilled")
        CANCELLED = "cancelled", _("Cancelled")

    class Delivery(models.TextChoices):
        NONE = "", _("Nothing to deliver")
        POST = "post", _("Sent by post")
        PICKUP = "pickup", _("Picked up in store")

    # member is indexed by the (member, reward, status) index and the key constraint.
    member = models.ForeignKey(
        Member,
        verbose_name=_("member"),
        on_delete=models.PROTECT,
        related_name="redemptions",
        db_index=False,
    )
    reward = models.ForeignKey(
        Reward, verbose_name=_("reward"), on_delete=models.PROTECT, related_name="redemptions"
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    points = models.PositiveIntegerField(_("points"))
    voucher_code = models.CharField(_("voucher code"), max_length=20)
    voucher_valid_until = models.DateField(_("voucher valid until"), null=True, blank=True)
    idempotency_key = models.CharField(_("idempotency key"), max_length=255)
    entry = models.OneToOneField(
        PointsEntry, on_delete=models.PROTECT, related_name="redemption", verbose_name=_("debit")
    )
    created_at = models.DateTimeField(_("redeemed"), default=timezone.now)
    fulfilled_at = models.DateTimeField(_("fulfilled"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled"), null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("cancelled by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # How a physical reward reaches the member (Reward.is_physical): by post to this address, or
    # picked up in this store. Empty for everything else.
    delivery = models.CharField(
        _("delivery"), max_length=10, choices=Delivery.choices, default="", blank=True
    )
    delivery_name = models.CharField(_("deliver to (name)"), max_length=150, blank=True)
    delivery_address = models.CharField(_("street address"), max_length=200, blank=True)
    delivery_postcode = models.CharField(_("postcode"), max_length=10, blank=True)
    delivery_city = models.CharField(_("city"), max_length=80, blank=True)
    pickup_store = models.ForeignKey(
        Store,
        verbose_name=_("pickup store"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    cancel_reason = models.CharField(
        _("reason for cancelling"), max_length=255, blank=True, db_default=""
    )
    used_in_store = models.ForeignKey(
        Store,
        verbose_name=_("used in store"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Where the voucher was used at the till."),
    )

    class Meta:
        verbose_name = _("redemption")
        verbose_name_plural = _("redemptions")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["member", "reward", "status"]),
            models.Index(fields=["created_at"], name="rewards_redemption_time"),
        ]
        constraints = [
            # A constraint rather than unique=True: no LIKE index beside it on PostgreSQL.
            models.UniqueConstraint(fields=["voucher_code"], name="rewards_redemption_code_uniq"),
            models.UniqueConstraint(
                fields=["member", "idempotency_key"], name="rewards_redemption_member_key_uniq"
            ),
            models.CheckConstraint(
                condition=Q(points__gt=0), name="rewards_redemption_points_positive"
            ),
            models.CheckConstraint(
                condition=~Q(status="cancelled") | Q(cancelled_at__isnull=False),
                name="rewards_redemption_cancelled_has_time",
            ),
            # Sent by post: a whole address. Picked up: a store. Neither: no store.
            models.CheckConstraint(
                condition=(
                    Q(delivery="post")
                    & ~Q(delivery_address="")
                    & ~Q(delivery_postcode="")
                    & ~Q(delivery_city="")
                    & Q(pickup_store__isnull=True)
                )
                | (Q(delivery="pickup") & Q(pickup_store__isnull=False))
                | (Q(delivery="") & Q(pickup_store__isnull=True)),
                name="rewards_redemption_delivery_complete",
            ),
        ]
        permissions = [
            ("cancel_redemption", _("Can cancel a redemption and return its points")),
            ("use_till", _("Can serve members at the till")),
        ]

    def __str__(self) -> str:
        return f"{self.voucher_code} ({self.get_status_display()})"


# --- Benefits, badges, challenges, leaderboard (benefits-gamification helper) -----------------


@dataclass(frozen=True)
class BenefitPeriod:
    start: datetime.date
    next_start: datetime.date


def benefit_period(*, today: datetime.date | None = None) -> BenefitPeriod:
    """The benefit-choice period holding `today`: REWARDS_BENEFIT_PERIOD_MONTHS-month blocks
    counted from 1 January (3: calendar quarters)."""
    today = today or timezone.localdate()
    months = max(1, min(12, int(settings.REWARDS_BENEFIT_PERIOD_MONTHS)))
    first_month = ((today.month - 1) // months) * months + 1
    start = datetime.date(today.year, first_month, 1)
    following = first_month - 1 + months
    if following >= 12:
        return BenefitPeriod(start=start, next_start=datetime.date(today.year + 1, 1, 1))
    return BenefitPeriod(start=start, next_start=datetime.date(today.year, following + 1, 1))


class BenefitQuerySet(models.QuerySet["Benefit"]):
    def for_tier(self, tier: Tier | None) -> BenefitQuerySet:
        """Active benefits members of `tier` may pick (no tiers chosen: open to every tier)."""
        if tier is None:
            return self.none()
        allowed = Benefit.tiers.through.objects.filter(tier=tier).values("benefit_id")
        return self.filter(is_active=True).filter(
            Q(pk__in=allowed) | ~Q(pk__in=Benefit.tiers.through.objects.values("benefit_id"))
        )


class Benefit(NameAndDescription, models.Model):
    """A benefit on the menu members of a tier pick from each period (free delivery, extended
    returns, a category discount, a birthday gift …). Chosen only through
    rewards.services.benefits."""

    name_sv = models.CharField(_("name (Swedish)"), max_length=120)
    name_en = models.CharField(_("name (English)"), max_length=120)
    description_sv = models.TextField(_("description (Swedish)"), blank=True)
    description_en = models.TextField(_("description (English)"), blank=True)
    tiers = models.ManyToManyField(
        Tier,
        verbose_name=_("tiers"),
        blank=True,
        related_name="benefit_menu",
        help_text=_("Only members of these tiers may pick it. None chosen: every tier with picks."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    order = models.IntegerField(_("order"), default=0)

    objects = BenefitQuerySet.as_manager()

    class Meta:
        verbose_name = _("benefit")
        verbose_name_plural = _("benefits")
        ordering = ["order", "id"]


class TierBenefitAllowance(models.Model):
    """How many benefits a member of the tier picks per period (none: the tier grants no picks)."""

    tier = models.OneToOneField(
        Tier,
        verbose_name=_("tier"),
        primary_key=True,
        on_delete=models.CASCADE,
        related_name="benefit_allowance",
    )
    picks_per_period = models.PositiveSmallIntegerField(_("benefits per period"), default=0)

    class Meta:
        verbose_name = _("benefit picks of a tier")
        verbose_name_plural = _("benefit picks of tiers")

    def __str__(self) -> str:
        return f"{self.tier}: {self.picks_per_period}"

    @classmethod
    def picks_for(cls, tier: Tier | None) -> int:
        """Benefits a member of `tier` picks per period (0 without a tier or an allowance)."""
        if tier is None:
            return 0
        allowance = cls.objects.filter(tier=tier).first()
        return allowance.picks_per_period if allowance else 0


class BenefitChoice(models.Model):
    """A benefit a member picked for the period starting on `period_start`."""

    member = models.ForeignKey(
        Member, verbose_name=_("member"), on_delete=models.PROTECT, related_name="benefit_choices"
    )
    benefit = models.ForeignKey(
        Benefit, verbose_name=_("benefit"), on_delete=models.PROTECT, related_name="choices"
    )
    period_start = models.DateField(_("period starts"))
    created_at = models.DateTimeField(_("chosen"), default=timezone.now)

    class Meta:
        verbose_name = _("benefit choice")
        verbose_name_plural = _("benefit choices")
        ordering = ["-period_start", "member_id", "benefit__order"]
        constraints = [
            models.UniqueConstraint(
                fields=["member", "benefit", "period_start"],
                name="rewards_benefitchoice_member_benefit_period_uniq",
            )
        ]
        indexes = [models.Index(fields=["member", "period_start"], name="rewards_bchoice_period")]

    def __str__(self) -> str:
        return f"{self.member_id}: {self.benefit_id} ({self.period_start})"


class Badge(NameAndDescription, models.Model):
    """Recognition a member earns when a metric (see rewards.metrics) reaches the threshold."""

    slug = models.SlugField(_("slug"), max_length=60, unique=True)
    name_sv = models.CharField(_("name (Swedish)"), max_length=120)
    name_en = models.CharField(_("name (English)"), max_length=120)
    description_sv = models.TextField(_("description (Swedish)"), blank=True)
    description_en = models.TextField(_("description (English)"), blank=True)
    picture = models.FileField(
        _("picture"),
        upload_to="badges/",
        blank=True,
        validators=[FileExtensionValidator(PICTURE_EXTENSIONS)],
    )
    metric = models.CharField(
        _("metric"), max_length=60, help_text=_("What is counted (see rewards.metrics).")
    )
    threshold = models.PositiveIntegerField(_("threshold"), default=1)
    points = models.PositiveIntegerField(
        _("points"), null=True, blank=True, help_text=_("Points awarded with the badge (optional).")
    )
    is_active = models.BooleanField(_("active"), default=True)
    order = models.IntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("badge")
        verbose_name_plural = _("badges")
        ordering = ["order", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(threshold__gt=0), name="rewards_badge_threshold_positive"
            ),
            models.CheckConstraint(
                condition=Q(points__isnull=True) | Q(points__gt=0),
                name="rewards_badge_points_positive",
            ),
        ]


class MemberBadge(models.Model):
    """A badge a member earned (once)."""

    member = models.ForeignKey(
        Member, verbose_name=_("member"), on_delete=models.PROTECT, related_name="badges"
    )
    badge = models.ForeignKey(
        Badge, verbose_name=_("badge"), on_delete=models.PROTECT, related_name="awards"
    )
    awarded_at = models.DateTimeField(_("awarded"), default=timezone.now)

    class Meta:
        verbose_name = _("member's badge")
        verbose_name_plural = _("members' badges")
        ordering = ["-awarded_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["member", "badge"], name="rewards_memberbadge_uniq")
        ]

    def __str__(self) -> str:
        return f"{self.member_id}: {self.badge_id}"


class Challenge(NameAndDescription, models.Model):
    """Do something (a metric reaching `target`, counted within the window) before `ends_at`
    to earn points and/or a badge, once."""

    name_sv = models.CharField(_("name (Swedish)"), max_length=120)
    name_en = models.CharField(_("name (English)"), max_length=120)
    description_sv = models.TextField(_("description (Swedish)"), blank=True)
    description_en = models.TextField(_("description (English)"), blank=True)
    metric = models.CharField(
        _("metric"), max_length=60, help_text=_("What is counted (see rewards.metrics).")
    )
    target = models.PositiveIntegerField(_("target"), default=1)
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))
    points = models.PositiveIntegerField(_("points"), null=True, blank=True)
    badge = models.ForeignKey(
        Badge,
        verbose_name=_("badge"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="challenges",
    )
    segment = models.ForeignKey(
        Segment,
        verbose_name=_("segment"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Only members of this segment take part. Empty: every member."),
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("challenge")
        verbose_name_plural = _("challenges")
        ordering = ["ends_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(target__gt=0), name="rewards_challenge_target_positive"
            ),
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")),
                name="rewards_challenge_window_order",
            ),
            models.CheckConstraint(
                condition=Q(points__isnull=True) | Q(points__gt=0),
                name="rewards_challenge_points_positive",
            ),
        ]


class ChallengeCompletion(models.Model):
    """A member completed a challenge (its reward is given once, with this row)."""

    challenge = models.ForeignKey(
        Challenge, verbose_name=_("challenge"), on_delete=models.PROTECT, related_name="completions"
    )
    member = models.ForeignKey(
        Member,
        verbose_name=_("member"),
        on_delete=models.PROTECT,
        related_name="challenge_completions",
    )
    completed_at = models.DateTimeField(_("completed"), default=timezone.now)

    class Meta:
        verbose_name = _("completed challenge")
        verbose_name_plural = _("completed challenges")
        ordering = ["-completed_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["challenge", "member"], name="rewards_challengecompletion_uniq"
            )
        ]

    def __str__(self) -> str:
        return f"{self.challenge_id}: {self.member_id}"


class LeaderboardOptIn(models.Model):
    """A member who chose to appear on the leaderboard, under a display name they chose."""

    member = models.OneToOneField(
        Member,
        verbose_name=_("member"),
        primary_key=True,
        on_delete=models.CASCADE,
        related_name="leaderboard_optin",
    )
    display_name = models.CharField(_("display name"), max_length=30)
    created_at = models.DateTimeField(_("joined"), default=timezone.now)

    class Meta:
        verbose_name = _("leaderboard participant")
        verbose_name_plural = _("leaderboard participants")
        ordering = ["display_name"]

    def __str__(self) -> str:
        return self.display_name


# --- Bulk work (back office) -------------------------------------------------------------------


class BulkAdjustment(models.Model):
    """One bulk points adjustment of a segment, and how far the worker has come with it: written
    by rewards.services.bulk (the progress after each chunk of members, as absolute figures, so a
    task run again after a worker restart simply overwrites them)."""

    class Status(models.TextChoices):
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")

    batch = models.CharField(_("batch"), max_length=64, unique=True)
    segment = models.ForeignKey(
        Segment,
        verbose_name=_("segment"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    points = models.IntegerField(_("points per member"))
    reason = models.CharField(_("reason"), max_length=255)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("made by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    members = models.PositiveIntegerField(_("members"))
    done = models.PositiveIntegerField(_("members done"), default=0)
    adjusted = models.PositiveIntegerField(_("adjusted"), default=0)
    skipped = models.PositiveIntegerField(_("skipped"), default=0)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.RUNNING
    )
    created_at = models.DateTimeField(_("started"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        verbose_name = _("bulk points adjustment")
        verbose_name_plural = _("bulk points adjustments")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.points:+d} × {self.members} ({self.created_at:%Y-%m-%d %H:%M})"

    @property
    def percent(self) -> int:
        return round(100 * self.done / self.members) if self.members else 100
