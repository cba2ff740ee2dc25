"""Conversations as members and staff read them."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Avg, Count, DurationField, ExpressionWrapper, F, Q, QuerySet
from django.http import Http404

from feedback.models import Conversation, ConversationMessage
from members.models import Member


def conversations_for_member(*, member: Member) -> QuerySet[Conversation]:
    return Conversation.objects.filter(member=member).order_by("-last_message_at")


def conversation_get_for_member(*, member: Member, conversation_id: int) -> Conversation:
    conversation = Conversation.objects.filter(pk=conversation_id, member=member).first()
    if conversation is None:
        raise Http404("No such conversation.")
    return conversation


def conversation_messages(*, conversation: Conversation) -> QuerySet[ConversationMessage]:
    return conversation.messages.select_related("author").order_by("created_at", "pk")


def conversation_unread_answer(*, member: Member) -> Conversation | None:
    """The newest conversation the club has answered and that waits for the member (home card)."""
    return (
        Conversation.objects.filter(member=member, status=Conversation.Status.ANSWERED)
        .order_by("-last_message_at")
        .first()
    )


def inbox_figures(*, since=None) -> dict:
    """Open, waiting and answered counts, and the average times to first answer and to resolve."""
    qs = Conversation.objects.all()
    if since is not None:
        qs = qs.filter(created_at__gte=since)
    figures = qs.aggregate(
        open=Count("pk", filter=Q(status=Conversation.Status.OPEN)),
        answered=Count("pk", filter=Q(status=Conversation.Status.ANSWERED)),
        first_response=Avg(
            ExpressionWrapper(
                F("first_response_at") - F("created_at"), output_field=DurationField()
            ),
            filter=Q(first_response_at__isnull=False),
        ),
        resolution=Avg(
            ExpressionWrapper(F("resolved_at") - F("created_at"), output_field=DurationField()),
            filter=Q(resolved_at__isnull=False),
        ),
    )
    for key in ("first_response", "resolution"):
        value = figures[key]
        figures[f"{key}_hours"] = (
            round(value / timedelta(hours=1), 1) if isinstance(value, timedelta) else None
        )
    return figures
