"""Conversations between a member and the club ("Contact the club"): a thread of messages, with
an assignee, a status and the times staff took to answer and to resolve it."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from members.models import Member


class Conversation(models.Model):
    class Topic(models.TextChoices):
        ORDER = "order", _("An order or a purchase")
        POINTS = "points", _("Points and rewards")
        MEMBERSHIP = "membership", _("My membership")
        OTHER = "other", _("Something else")

    class Status(models.TextChoices):
        OPEN = "open", _("Waiting for the club")
        ANSWERED = "answered", _("Answered")
        CLOSED = "closed", _("Closed")

    member = models.ForeignKey(
        Member,
        verbose_name=_("member"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="conversations",
    )
    subject = models.CharField(_("subject"), max_length=140)
    topic = models.CharField(_("topic"), max_length=12, choices=Topic.choices)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.OPEN, db_index=True
    )
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assigned to"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assigned_conversations",
        limit_choices_to={"is_staff": True},
    )
    started_by_staff = models.BooleanField(_("started by the club"), default=False)
    created_at = models.DateTimeField(_("started"), default=timezone.now, db_index=True)
    first_response_at = models.DateTimeField(_("first answered"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    last_message_at = models.DateTimeField(_("last message"), default=timezone.now)

    class Meta:
        verbose_name = _("conversation")
        verbose_name_plural = _("conversations")
        ordering = ["-last_message_at"]
        permissions = [("reply_conversation", _("Can reply to members' conversations"))]

    def __str__(self) -> str:
        return self.subject


def _attachment_path(instance: ConversationMessage, filename: str) -> str:
    return f"conversations/{instance.conversation_id}/{filename}"


class ConversationMessage(models.Model):
    conversation = models.ForeignKey(
        Conversation,
        verbose_name=_("conversation"),
        on_delete=models.CASCADE,
        related_name="messages",
    )
    from_staff = models.BooleanField(_("from the club"), default=False)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("written by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    body = models.TextField(_("message"))
    attachment = models.FileField(
        _("attachment"), upload_to=_attachment_path, blank=True, max_length=200
    )
    attachment_name = models.CharField(_("attachment's name"), max_length=120, blank=True)
    created_at = models.DateTimeField(_("written"), default=timezone.now)

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return self.body[:60]


class SavedReply(models.Model):
    title = models.CharField(_("title"), max_length=80, unique=True)
    body = models.TextField(_("text"))

    class Meta:
        verbose_name = _("saved reply")
        verbose_name_plural = _("saved replies")
        ordering = ["title"]

    def __str__(self) -> str:
        return self.title
