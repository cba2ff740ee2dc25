"""Club events: the event, a member's registration (with the waitlist in the same row), the
check-in scans at the door, personal invitations and the reminders sent.

The database holds what must never be: one registration per member and event, a check-in nonce
used once, an invitation and a reminder once, an event whose end is after its start and whose
capacity is never below the seats taken (`seats_taken` is kept by the services under the event's
row lock, re-counted each time, and proven by `manage.py events_reconcile`)."""

from __future__ import annotations

import datetime
import secrets
import zoneinfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import FileExtensionValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from members.models import Member, Segment
from rewards.models import PointsEntry, Redemption, Reward, Tier

PICTURE_EXTENSIONS = ["jpg", "jpeg", "png", "webp", "gif"]
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I
CODE_LENGTH = 6


def registration_code_generate() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _i in range(CODE_LENGTH))


def qr_token_generate() -> str:
    return secrets.token_urlsafe(18)


def in_dst_gap(value: datetime.datetime, tz: datetime.tzinfo | None = None) -> bool:
    """Whether the naive wall-clock `value` does not exist in `tz` (the hour skipped when clocks
    go forward). Aware values are instants and always exist."""
    if timezone.is_aware(value):
        return False
    tz = tz or zoneinfo.ZoneInfo(settings.TIME_ZONE)
    there = value.replace(tzinfo=tz)
    back = there.astimezone(datetime.UTC).astimezone(tz).replace(tzinfo=None)
    return back != value


class EventQuerySet(models.QuerySet["Event"]):
    def published(self) -> EventQuerySet:
        return self.filter(status=Event.Status.PUBLISHED)


class Event(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")
        CANCELLED = "cancelled", _("Cancelled")
        FINISHED = "finished", _("Finished")

    class Eligibility(models.TextChoices):
        ALL = "all", _("All members")
        TIERS = "tiers", _("Some tiers")
        SEGMENT = "segment", _("A segment")

    class WaitlistMode(models.TextChoices):
        AUTO = "auto", _("Register the first in line at once")
        OFFER = "offer", _("Offer the seat for a limited time")

    title_sv = models.CharField(_("title (Swedish)"), max_length=160)
    title_en = models.CharField(_("title (English)"), max_length=160, blank=True)
    description_sv = models.TextField(_("description (Swedish)"), blank=True)
    description_en = models.TextField(_("description (English)"), blank=True)
    picture = models.FileField(
        _("picture"),
        upload_to="events/",
        blank=True,
        validators=[FileExtensionValidator(PICTURE_EXTENSIONS)],
    )
    starts_at = models.DateTimeField(_("starts"), db_index=True)
    ends_at = models.DateTimeField(_("ends"))
    venue = models.CharField(_("venue"), max_length=160, blank=True)
    address = models.CharField(_("address"), max_length=255, blank=True)
    city = models.CharField(_("place"), max_length=80, blank=True, db_index=True)
    online_url = models.URLField(_("online link"), blank=True)
    capacity = models.PositiveIntegerField(_("capacity (seats)"), validators=[MinValueValidator(1)])
    seats_taken = models.PositiveIntegerField(_("seats taken"), default=0, editable=False)
    registration_opens_at = models.DateTimeField(
        _("registration opens"), null=True, blank=True, help_text=_("Empty: open at once.")
    )
    registration_closes_at = models.DateTimeField(
        _("registration closes"), null=True, blank=True, help_text=_("Empty: when it starts.")
    )
    cancellation_deadline = models.DateTimeField(
        _("cancellation deadline"),
        null=True,
        blank=True,
        help_text=_("Members may cancel (and get their points back) until then. Empty: the start."),
    )
    guests_allowed = models.PositiveSmallIntegerField(_("guests allowed per member"), default=0)
    eligibility = models.CharField(
        _("who may come"), max_length=10, choices=Eligibility.choices, default=Eligibility.ALL
    )
    tiers = models.ManyToManyField(Tier, verbose_name=_("tiers"), blank=True, related_name="+")
    segment = models.ForeignKey(
        Segment,
        verbose_name=_("segment"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    points_price = models.PositiveIntegerField(
        _("price in points"), default=0, help_text=_("0: free. Paid per person in the party.")
    )
    attendance_points = models.PositiveIntegerField(_("points for attending"), default=0)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT, db_index=True
    )
    waitlist_mode = models.CharField(
        _("waitlist"), max_length=10, choices=WaitlistMode.choices, default=WaitlistMode.AUTO
    )
    offer_hours = models.PositiveSmallIntegerField(
        _("offer held for (hours)"), default=24, validators=[MinValueValidator(1)]
    )
    reminder_hours = models.PositiveSmallIntegerField(_("reminder (hours before)"), default=24)
    reward = models.OneToOneField(
        Reward,
        verbose_name=_("catalogue reward (experience)"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        limit_choices_to={"kind": "experience"},
        help_text=_("Redeeming this reward takes a seat at the event."),
    )
    series_key = models.CharField(_("series"), max_length=40, blank=True, db_index=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = EventQuerySet.as_manager()

    class Meta:
        verbose_name = _("event")
        verbose_name_plural = _("events")
        ordering = ["starts_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="events_event_ends_after_start"
            ),
            models.CheckConstraint(
                condition=Q(capacity__gte=F("seats_taken")),
                name="events_event_capacity_not_below_taken",
            ),
            models.CheckConstraint(condition=Q(capacity__gte=1), name="events_event_capacity_pos"),
            models.CheckConstraint(
                condition=Q(offer_hours__gte=1), name="events_event_offer_hours_pos"
            ),
        ]
        permissions = [("checkin_event", _("Can check in members at events"))]

    def __str__(self) -> str:
        return f"{self.title} ({timezone.localtime(self.starts_at):%Y-%m-%d %H:%M})"

    @property
    def title(self) -> str:
        if (get_language() or "sv").startswith("en") and self.title_en:
            return self.title_en
        return self.title_sv or self.title_en

    @property
    def description(self) -> str:
        if (get_language() or "sv").startswith("en") and self.description_en:
            return self.description_en
        return self.description_sv or self.description_en

    @property
    def seats_left(self) -> int:
        return max(self.capacity - self.seats_taken, 0)

    @property
    def is_online(self) -> bool:
        return bool(self.online_url) and not self.venue

    @property
    def cancel_until(self) -> datetime.datetime:
        return self.cancellation_deadline or self.starts_at

    @property
    def closes_at(self) -> datetime.datetime:
        return self.registration_closes_at or self.starts_at

    def clean(self) -> None:
        errors: dict[str, list] = {}
        if self.starts_at and self.ends_at and self.ends_at <= self.starts_at:
            errors.setdefault("ends_at", []).append(
                ValidationError(_("The end must be after the start."), code="ends_before_start")
            )
        for field in ("starts_at", "ends_at"):
            value = getattr(self, field)
            if value is not None and in_dst_gap(value):
                errors.setdefault(field, []).append(
                    ValidationError(
                        _("This time does not exist: the clocks skip it (summer time)."),
                        code="dst_gap",
                    )
                )
        if self.capacity is not None and self.capacity < self.seats_taken:
            errors.setdefault("capacity", []).append(
                ValidationError(
                    _("Capacity cannot be below the %(taken)d seats already taken."),
                    code="capacity_below_taken",
                    params={"taken": self.seats_taken},
                )
            )
        if (
            self.starts_at
            and self.registration_opens_at
            and self.registration_closes_at
            and self.registration_closes_at <= self.registration_opens_at
        ):
            errors.setdefault("registration_closes_at", []).append(
                ValidationError(
                    _("Registration must close after it opens."), code="closes_before_opens"
                )
            )
        if self.eligibility == self.Eligibility.SEGMENT and self.segment_id is None:
            errors.setdefault("segment", []).append(
                ValidationError(_("Choose the segment that may come."), code="segment_missing")
            )
        if not self.venue and not self.online_url:
            errors.setdefault("venue", []).append(
                ValidationError(_("Give a venue or an online link."), code="no_place")
            )
        if errors:
            raise ValidationError(errors)


class Registration(models.Model):
    """A member's place at an event: registered, on the waitlist, offered a freed seat, or gone.
    One row per member and event, reused when the member registers again."""

    class Status(models.TextChoices):
        REGISTERED = "registered", _("Registered")
        WAITLISTED = "waitlisted", _("On the waitlist")
        OFFERED = "offered", _("Offered a seat")
        CANCELLED = "cancelled", _("Cancelled")
        DECLINED = "declined", _("Declined")

    HOLDS_SEAT = (Status.REGISTERED, Status.OFFERED)

    event = models.ForeignKey(
        Event, verbose_name=_("event"), on_delete=models.CASCADE, related_name="registrations"
    )
    member = models.ForeignKey(
        Member,
        verbose_name=_("member"),
        on_delete=models.PROTECT,
        related_name="event_registrations",
    )
    guests = models.PositiveSmallIntegerField(_("guests"), default=0)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices)
    waitlist_position = models.PositiveIntegerField(_("place in line"), null=True, blank=True)
    offer_expires_at = models.DateTimeField(_("offer expires"), null=True, blank=True)
    code = models.CharField(
        _("code"), max_length=12, unique=True, default=registration_code_generate
    )
    qr_token = models.CharField(
        _("QR token"), max_length=40, unique=True, default=qr_token_generate
    )
    points_paid = models.PositiveIntegerField(_("points paid"), default=0)
    points_refunded = models.PositiveIntegerField(_("points refunded"), default=0)
    payments = models.PositiveIntegerField(_("payments"), default=0, editable=False)
    payment_entry = models.ForeignKey(
        PointsEntry,
        verbose_name=_("points payment"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )
    redemption = models.ForeignKey(
        Redemption,
        verbose_name=_("paid by redemption"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )
    attended_at = models.DateTimeField(_("checked in"), null=True, blank=True)
    by_staff = models.BooleanField(_("registered by staff"), default=False)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)
    cancelled_at = models.DateTimeField(_("cancelled"), null=True, blank=True)

    class Meta:
        verbose_name = _("registration")
        verbose_name_plural = _("registrations")
        constraints = [
            models.UniqueConstraint(fields=["event", "member"], name="events_reg_once_per_member"),
            models.UniqueConstraint(
                fields=["event", "waitlist_position"],
                condition=Q(waitlist_position__isnull=False),
                name="events_reg_unique_position",
            ),
            models.CheckConstraint(
                condition=~Q(status="waitlisted") | Q(waitlist_position__isnull=False),
                name="events_reg_waitlisted_has_position",
            ),
            models.CheckConstraint(
                condition=~Q(status="offered") | Q(offer_expires_at__isnull=False),
                name="events_reg_offer_has_expiry",
            ),
            models.CheckConstraint(
                condition=Q(points_refunded__lte=F("points_paid")),
                name="events_reg_refund_not_above_paid",
            ),
        ]
        indexes = [models.Index(fields=["event", "status"], name="events_reg_event_status")]

    def __str__(self) -> str:
        return f"{self.code}: {self.member} @ {self.event_id}"

    @property
    def party_size(self) -> int:
        return 1 + self.guests

    @property
    def holds_seat(self) -> bool:
        return self.status in self.HOLDS_SEAT


class CheckIn(models.Model):
    """One scan at the door. Every scan is kept: one refused online (cancelled registration, a
    second entry, an unknown code) is stored flagged with the reason, for staff to review."""

    event = models.ForeignKey(
        Event, verbose_name=_("event"), on_delete=models.CASCADE, related_name="checkins"
    )
    registration = models.ForeignKey(
        Registration,
        verbose_name=_("registration"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="checkins",
    )
    code = models.CharField(_("code scanned"), max_length=64)
    nonce = models.CharField(_("nonce"), max_length=64, unique=True)
    scanned_at = models.DateTimeField(_("scanned"))
    received_at = models.DateTimeField(_("received"), default=timezone.now)
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("staff"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    accepted = models.BooleanField(_("accepted"), default=False)
    flagged = models.BooleanField(_("flagged"), default=False, db_index=True)
    flag_reason = models.CharField(_("reason flagged"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("check-in")
        verbose_name_plural = _("check-ins")
        ordering = ["-scanned_at"]

    def __str__(self) -> str:
        return f"{self.code} {self.scanned_at:%Y-%m-%d %H:%M}"


class Invitation(models.Model):
    event = models.ForeignKey(
        Event, verbose_name=_("event"), on_delete=models.CASCADE, related_name="invitations"
    )
    member = models.ForeignKey(
        Member, verbose_name=_("member"), on_delete=models.CASCADE, related_name="+"
    )
    created_at = models.DateTimeField(_("sent"), default=timezone.now)

    class Meta:
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        constraints = [
            models.UniqueConstraint(fields=["event", "member"], name="events_invitation_once")
        ]

    def __str__(self) -> str:
        return f"{self.member} → {self.event_id}"


class ReminderSent(models.Model):
    """A reminder, once per registration and kind: the unique key is the proof."""

    registration = models.ForeignKey(
        Registration,
        verbose_name=_("registration"),
        on_delete=models.CASCADE,
        related_name="reminders",
    )
    kind = models.CharField(_("kind"), max_length=20, default="before")
    sent_at = models.DateTimeField(_("sent"), default=timezone.now)

    class Meta:
        verbose_name = _("reminder sent")
        verbose_name_plural = _("reminders sent")
        constraints = [
            models.UniqueConstraint(fields=["registration", "kind"], name="events_reminder_once")
        ]

    def __str__(self) -> str:
        return f"{self.registration_id}:{self.kind}"
