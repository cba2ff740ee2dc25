"""The suggestions board: members propose ideas for the club's range, services and events, vote
and comment; staff answer in public with a status.

Text is Markdown, rendered once at save through `core.markup` (the same sanitiser as the forums)
and stored beside its source. `votes` and `comments` are counts kept by the services under the
suggestion's row lock, so lists sort by them without counting."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from members.models import Member


class Suggestion(models.Model):
    class Topic(models.TextChoices):
        RANGE = "range", _("Products and range")
        SERVICE = "service", _("Service and stores")
        EVENTS = "events", _("Club events")
        CLUB = "club", _("The club and its rewards")

    class Status(models.TextChoices):
        NEW = "new", _("New")
        UNDER_REVIEW = "under_review", _("Under review")
        PLANNED = "planned", _("Planned")
        IN_PROGRESS = "in_progress", _("In progress")
        DONE = "done", _("Done")
        DECLINED = "declined", _("Declined")
        DUPLICATE = "duplicate", _("Duplicate")

    ADOPTED = {Status.PLANNED, Status.IN_PROGRESS, Status.DONE}

    author = models.ForeignKey(
        Member,
        verbose_name=_("author"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="suggestions",
    )
    topic = models.CharField(_("topic"), max_length=10, choices=Topic.choices)
    title = models.CharField(_("title"), max_length=140)
    body = models.TextField(_("text"), blank=True)
    body_html = models.TextField(_("text (shown)"), blank=True, editable=False)
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.NEW, db_index=True
    )
    answer = models.TextField(_("the club's answer"), blank=True)
    answer_html = models.TextField(_("answer (shown)"), blank=True, editable=False)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("answered by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True)
    duplicate_of = models.ForeignKey(
        "self",
        verbose_name=_("duplicate of"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="duplicates",
    )
    votes = models.PositiveIntegerField(_("votes"), default=0)
    comments = models.PositiveIntegerField(_("comments"), default=0)
    hidden = models.BooleanField(
        _("hidden"), default=False, help_text=_("Hidden by a moderator; only staff see it.")
    )
    hidden_reason = models.CharField(_("why it was hidden"), max_length=200, blank=True)
    points_awarded = models.BooleanField(_("author's points given"), default=False)
    created_at = models.DateTimeField(_("created"), default=timezone.now, db_index=True)
    last_activity_at = models.DateTimeField(_("last activity"), default=timezone.now)

    class Meta:
        verbose_name = _("suggestion")
        verbose_name_plural = _("suggestions")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["hidden", "-votes"], name="feedback_sugg_votes")]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="duplicate") | Q(duplicate_of__isnull=False),
                name="feedback_suggestion_duplicate_of",
                violation_error_message=_("Say which suggestion this one duplicates."),
            )
        ]
        permissions = [("moderate_suggestion", _("Can answer and moderate suggestions"))]

    def __str__(self) -> str:
        return self.title

    @property
    def is_open_for_votes(self) -> bool:
        return self.status not in (self.Status.DONE, self.Status.DECLINED, self.Status.DUPLICATE)


class SuggestionVote(models.Model):
    suggestion = models.ForeignKey(
        Suggestion, verbose_name=_("suggestion"), on_delete=models.CASCADE, related_name="vote_set"
    )
    member = models.ForeignKey(
        Member,
        verbose_name=_("member"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="suggestion_votes",
        help_text=_("Empty after the member was erased: the vote still counts."),
    )
    created_at = models.DateTimeField(_("voted"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("vote on a suggestion")
        verbose_name_plural = _("votes on suggestions")
        constraints = [
            models.UniqueConstraint(fields=["suggestion", "member"], name="feedback_vote_once")
        ]

    def __str__(self) -> str:
        return f"{self.member_id} → {self.suggestion_id}"


class SuggestionComment(models.Model):
    suggestion = models.ForeignKey(
        Suggestion,
        verbose_name=_("suggestion"),
        on_delete=models.CASCADE,
        related_name="comment_set",
    )
    author = models.ForeignKey(
        Member,
        verbose_name=_("author"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="suggestion_comments",
    )
    staff_author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("written by staff"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    body = models.TextField(_("text"))
    body_html = models.TextField(_("text (shown)"), editable=False)
    hidden = models.BooleanField(_("hidden"), default=False)
    created_at = models.DateTimeField(_("written"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("comment on a suggestion")
        verbose_name_plural = _("comments on suggestions")
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return self.body[:60]
