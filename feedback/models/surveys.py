"""Surveys (NPS, CSAT, custom) with personal invitations, answers and follow-up cases.

- A `Survey` has ordered `Question`s; a question may be shown only for some answers to an
  earlier one (its condition: a numeric range or some choices).
- An `Invitation` is personal: one per survey, member and occasion ("purchase:42", "join",
  "portal"); its link carries a signed token and works without logging in. It is answered once:
  `answered_at` is set by a conditional UPDATE in the transaction that stores the answer.
- A `Response` holds the answers. For an anonymous survey it keeps no link to the member or the
  invitation at all; for others it keeps both (one response per invitation, unique).
  NPS and CSAT values are copied onto the response (`nps`, `csat`) with the member's tier, store
  and channel at the time, so trends and breakdowns are one indexed query.
- A `FollowUpCase` opens for a detractor (NPS 0–6) or a CSAT of 1–2: one per response (unique).
"""

from __future__ import annotations

import datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from members.models import Member, Store


def _localised(obj, field: str) -> str:
    value_sv, value_en = getattr(obj, f"{field}_sv"), getattr(obj, f"{field}_en")
    if translation.get_language() == "sv":
        return value_sv or value_en
    return value_en or value_sv


class Survey(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        OPEN = "open", _("Open")
        CLOSED = "closed", _("Closed")

    class Trigger(models.TextChoices):
        NONE = "", _("None: sent by staff or shown in the portal")
        AFTER_PURCHASE = "after_purchase", _("After a purchase")
        DAYS_AFTER_JOINING = "days_after_joining", _("N days after joining")

    title_sv = models.CharField(_("title (Swedish)"), max_length=200)
    title_en = models.CharField(_("title (English)"), max_length=200)
    intro_sv = models.TextField(_("introduction (Swedish)"), blank=True)
    intro_en = models.TextField(_("introduction (English)"), blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    anonymous = models.BooleanField(
        _("anonymous"),
        default=False,
        help_text=_("Answers keep no link to the member at all, and the member is told so."),
    )
    in_portal = models.BooleanField(
        _("shown in the portal"),
        default=False,
        help_text=_("Every member sees it under My surveys while it is open."),
    )
    earns_points = models.BooleanField(
        _("answering earns points"),
        default=False,
        help_text=_("Once per member, by the active 'Survey answered' activity rule."),
    )
    trigger = models.CharField(
        _("sent automatically"), max_length=30, choices=Trigger.choices, default="", blank=True
    )
    trigger_days = models.PositiveIntegerField(
        _("days after joining"), null=True, blank=True, help_text=_("For 'N days after joining'.")
    )
    resurvey = models.ForeignKey(
        "self",
        verbose_name=_("'Did we fix it?' survey"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Sent to the member when staff close a follow-up case and ask for it."),
    )
    closes_at = models.DateTimeField(_("closes"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("survey")
        verbose_name_plural = _("surveys")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(trigger="days_after_joining") | Q(trigger_days__isnull=False),
                name="feedback_survey_trigger_days",
                violation_error_message=_("Say after how many days of membership to send it."),
            )
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def title(self) -> str:
        return _localised(self, "title")

    @property
    def intro(self) -> str:
        return _localised(self, "intro")

    def is_open(self, now=None) -> bool:
        now = now or timezone.now()
        return self.status == self.Status.OPEN and (self.closes_at is None or self.closes_at > now)


class Question(models.Model):
    class Kind(models.TextChoices):
        NPS = "nps", _("NPS (0–10)")
        CSAT = "csat", _("Satisfaction (1–5)")
        RATING = "rating", _("Rating (1–5)")
        SINGLE = "single", _("Single choice")
        MULTIPLE = "multiple", _("Multiple choice")
        TEXT = "text", _("Free text")

    RANGES: dict[str, tuple[int, int]] = {"nps": (0, 10), "csat": (1, 5), "rating": (1, 5)}

    survey = models.ForeignKey(
        Survey, verbose_name=_("survey"), on_delete=models.CASCADE, related_name="questions"
    )
    order = models.PositiveIntegerField(_("order"), default=0)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    text_sv = models.CharField(_("question (Swedish)"), max_length=300)
    text_en = models.CharField(_("question (English)"), max_length=300)
    choices_sv = models.TextField(
        _("choices (Swedish)"), blank=True, help_text=_("One per line, for choice questions.")
    )
    choices_en = models.TextField(
        _("choices (English)"), blank=True, help_text=_("One per line, in the same order.")
    )
    required = models.BooleanField(_("required"), default=True)
    condition_question = models.ForeignKey(
        "self",
        verbose_name=_("shown only after"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="dependents",
        help_text=_("Show this question only for some answers to an earlier question."),
    )
    condition_min = models.IntegerField(_("for answers from"), null=True, blank=True)
    condition_max = models.IntegerField(_("for answers up to"), null=True, blank=True)
    condition_choices = models.JSONField(
        _("for the choices"),
        default=list,
        blank=True,
        help_text=_("Choice numbers, from 1, for a choice question's condition."),
    )

    class Meta:
        verbose_name = _("question")
        verbose_name_plural = _("questions")
        ordering = ["survey", "order", "pk"]

    def __str__(self) -> str:
        return self.text

    @property
    def text(self) -> str:
        return _localised(self, "text")

    @property
    def choices(self) -> list[str]:
        raw = _localised(self, "choices")
        return [line.strip() for line in raw.splitlines() if line.strip()]

    @property
    def is_numeric(self) -> bool:
        return self.kind in self.RANGES

    def clean(self) -> None:
        if self.kind in (self.Kind.SINGLE, self.Kind.MULTIPLE):
            sv = [c for c in self.choices_sv.splitlines() if c.strip()]
            en = [c for c in self.choices_en.splitlines() if c.strip()]
            if len(sv) < 2 or len(sv) != len(en):
                raise ValidationError(
                    {
                        "choices_sv": _(
                            "Give at least two choices, as many in Swedish as in English."
                        )
                    }
                )
        condition = self.condition_question
        if condition is not None:
            if condition.survey_id != self.survey_id or (self.pk and condition.order >= self.order):
                raise ValidationError(
                    {"condition_question": _("The condition must be an earlier question.")}
                )
            if (
                self.condition_min is None
                and self.condition_max is None
                and not (self.condition_choices)
            ):
                raise ValidationError(
                    {"condition_min": _("Say for which answers the question is shown.")}
                )

    def shown_for(self, answers: dict[int, Any]) -> bool:
        """Whether the question is shown, given the answers so far ({question id: value})."""
        if not self.condition_question_id:
            return True
        value = answers.get(self.condition_question_id)
        if value is None or value == [] or value == "":
            return False
        if self.condition_choices:
            picked = value if isinstance(value, list) else [value]
            return any(int(c) in {int(v) for v in picked} for c in self.condition_choices)
        if not isinstance(value, int):
            return False
        low = self.condition_min if self.condition_min is not None else value
        high = self.condition_max if self.condition_max is not None else value
        return low <= value <= high


class Invitation(models.Model):
    class Channel(models.TextChoices):
        EMAIL = "email", _("E-mail")
        PORTAL = "portal", _("Portal")
        CAMPAIGN = "campaign", _("Campaign")
        TRIGGER = "trigger", _("Automatic")

    survey = models.ForeignKey(
        Survey, verbose_name=_("survey"), on_delete=models.CASCADE, related_name="invitations"
    )
    member = models.ForeignKey(
        Member,
        verbose_name=_("member"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="survey_invitations",
    )
    occasion = models.CharField(
        _("occasion"), max_length=80, help_text=_("What the invitation is for, e.g. purchase:42.")
    )
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    store = models.ForeignKey(
        Store, verbose_name=_("store"), on_delete=models.SET_NULL, null=True, blank=True
    )
    draft = models.JSONField(_("unfinished answers"), default=dict, blank=True)
    created_at = models.DateTimeField(_("invited"), default=timezone.now)
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True)

    class Meta:
        verbose_name = _("survey invitation")
        verbose_name_plural = _("survey invitations")
        constraints = [
            models.UniqueConstraint(
                fields=["survey", "member", "occasion"], name="feedback_invitation_once"
            )
        ]
        indexes = [models.Index(fields=["member", "answered_at"])]

    def __str__(self) -> str:
        return f"{self.survey} · {self.occasion}"


class Response(models.Model):
    survey = models.ForeignKey(
        Survey, verbose_name=_("survey"), on_delete=models.CASCADE, related_name="responses"
    )
    invitation = models.OneToOneField(
        Invitation,
        verbose_name=_("invitation"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="response",
    )
    member = models.ForeignKey(
        Member,
        verbose_name=_("member"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="survey_responses",
    )
    submitted_at = models.DateTimeField(_("submitted"), default=timezone.now, db_index=True)
    month = models.DateField(
        _("month"), help_text=_("The first day of the month answered in, for trends.")
    )
    nps = models.PositiveSmallIntegerField(_("NPS answer"), null=True, blank=True)
    csat = models.PositiveSmallIntegerField(_("satisfaction answer"), null=True, blank=True)
    tier = models.CharField(_("tier"), max_length=80, blank=True)
    store = models.ForeignKey(
        Store, verbose_name=_("store"), on_delete=models.SET_NULL, null=True, blank=True
    )
    channel = models.CharField(_("channel"), max_length=10, choices=Invitation.Channel.choices)

    class Meta:
        verbose_name = _("survey answer")
        verbose_name_plural = _("survey answers")
        ordering = ["-submitted_at"]
        indexes = [
            models.Index(fields=["survey", "submitted_at"]),
            models.Index(fields=["month", "survey"], name="feedback_response_month"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(nps__lte=10), name="feedback_response_nps_range"),
            models.CheckConstraint(
                condition=Q(csat__gte=1, csat__lte=5) | Q(csat__isnull=True),
                name="feedback_response_csat_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.survey} · {self.submitted_at:%Y-%m-%d}"

    def save(self, *args, **kwargs) -> None:
        if self.month is None and self.submitted_at is not None:
            self.month = self.month_of(self.submitted_at)
        super().save(*args, **kwargs)

    @staticmethod
    def month_of(moment) -> datetime.date:
        """The first day of the month `moment` falls in, in the club's time zone."""
        return timezone.localtime(moment).date().replace(day=1)


class Answer(models.Model):
    response = models.ForeignKey(
        Response, verbose_name=_("answer"), on_delete=models.CASCADE, related_name="answers"
    )
    question = models.ForeignKey(
        Question, verbose_name=_("question"), on_delete=models.CASCADE, related_name="answers"
    )
    number = models.IntegerField(_("number"), null=True, blank=True)
    choices = models.JSONField(_("choices"), default=list, blank=True)
    text = models.TextField(_("text"), blank=True)

    class Meta:
        verbose_name = _("answer to a question")
        verbose_name_plural = _("answers to questions")
        constraints = [
            models.UniqueConstraint(fields=["response", "question"], name="feedback_answer_once")
        ]

    def __str__(self) -> str:
        return str(self.question)


class CaseRoute(models.Model):
    """Who owns the follow-up cases of a store's members (the rule that assigns an owner)."""

    store = models.OneToOneField(Store, verbose_name=_("store"), on_delete=models.CASCADE)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.CASCADE,
        limit_choices_to={"is_staff": True},
    )

    class Meta:
        verbose_name = _("case owner by store")
        verbose_name_plural = _("case owners by store")

    def __str__(self) -> str:
        return f"{self.store} → {self.owner}"


class FollowUpCase(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        CLOSED = "closed", _("Closed")

    class Reason(models.TextChoices):
        DETRACTOR = "detractor", _("NPS detractor (0–6)")
        LOW_CSAT = "low_csat", _("Low satisfaction (1–2)")

    response = models.OneToOneField(
        Response, verbose_name=_("answer"), on_delete=models.CASCADE, related_name="case"
    )
    member = models.ForeignKey(
        Member,
        verbose_name=_("member"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="followup_cases",
    )
    reason = models.CharField(_("reason"), max_length=10, choices=Reason.choices)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="followup_cases",
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.OPEN
    )
    created_at = models.DateTimeField(_("opened"), default=timezone.now)
    due_at = models.DateTimeField(_("due"), db_index=True)
    escalated_at = models.DateTimeField(_("escalated"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("closed by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    note = models.TextField(_("what was done"), blank=True)
    resurvey_sent = models.BooleanField(_("'did we fix it?' sent"), default=False)

    class Meta:
        verbose_name = _("follow-up case")
        verbose_name_plural = _("follow-up cases")
        ordering = ["due_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="open") | ~Q(note=""),
                name="feedback_case_closed_with_note",
                violation_error_message=_("Say what was done before closing the case."),
            )
        ]
        permissions = [("handle_followupcase", _("Can handle follow-up cases"))]

    def __str__(self) -> str:
        return f"#{self.pk} {self.get_reason_display()}"

    def is_overdue(self, now=None) -> bool:
        return self.status == self.Status.OPEN and self.due_at < (now or timezone.now())
