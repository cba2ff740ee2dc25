"""Reading the suggestions board: the list with its sorts and filters (one query for the page,
whatever its length) and one suggestion with its comments."""

from __future__ import annotations

import datetime

from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone

from feedback.models import Suggestion, SuggestionComment, SuggestionVote
from members.models import Member

SORTS = ("trending", "votes", "newest")


def _count(model, *, since, until=None, **filters):
    rows = model.objects.filter(suggestion=OuterRef("pk"), created_at__gte=since, **filters)
    if until is not None:
        rows = rows.filter(created_at__lt=until)
    return Coalesce(
        Subquery(rows.order_by().values("suggestion").annotate(n=Count("pk")).values("n")[:1]),
        0,
    )


def _trending(now: datetime.datetime):
    """Recent votes and comments weigh most, decaying with age: votes in the last week count
    three times, in the three weeks before once; comments twice and once. A new idea with a few
    votes this week passes an old one with many votes last year. Correlated counts, so a page
    is still one query."""
    week, month = now - datetime.timedelta(days=7), now - datetime.timedelta(days=30)
    return (
        3 * _count(SuggestionVote, since=week)
        + _count(SuggestionVote, since=month, until=week)
        + 2 * _count(SuggestionComment, since=week, hidden=False)
        + _count(SuggestionComment, since=month, until=week, hidden=False)
    )


def suggestion_list(
    *,
    member: Member | None,
    sort: str = "trending",
    status: str = "",
    topic: str = "",
    search: str = "",
    now: datetime.datetime | None = None,
) -> QuerySet[Suggestion]:
    now = now or timezone.now()
    qs = Suggestion.objects.filter(hidden=False).select_related("author")
    duplicate = Suggestion.Status.DUPLICATE
    qs = qs.filter(status=status) if status else qs.exclude(status=duplicate)
    if topic:
        qs = qs.filter(topic=topic)
    if search:
        qs = qs.filter(Q(title__icontains=search) | Q(body__icontains=search))
    if member is not None:
        qs = qs.annotate(
            voted=Exists(SuggestionVote.objects.filter(suggestion=OuterRef("pk"), member=member))
        )
    else:
        qs = qs.annotate(voted=Value(False))
    if sort == "votes":
        return qs.order_by("-votes", "-created_at", "-pk")
    if sort == "newest":
        return qs.order_by("-created_at", "-pk")
    return qs.annotate(trend=_trending(now)).order_by("-trend", F("last_activity_at").desc(), "-pk")


def suggestion_get_for_member(*, suggestion_id: int, member: Member | None) -> Suggestion:
    """The suggestion if the member may see it (hidden ones only to their author); else 404."""
    suggestion = (
        Suggestion.objects.select_related("author", "duplicate_of").filter(pk=suggestion_id).first()
    )
    if suggestion is None or (
        suggestion.hidden and (member is None or suggestion.author_id != member.pk)
    ):
        raise Http404("No such suggestion.")
    suggestion.voted = bool(  # type: ignore[attr-defined]
        member and SuggestionVote.objects.filter(suggestion=suggestion, member=member).exists()
    )
    return suggestion


def suggestion_comments(*, suggestion: Suggestion) -> QuerySet[SuggestionComment]:
    return suggestion.comment_set.filter(hidden=False).select_related("author", "staff_author")


def suggestions_top(*, limit: int = 5) -> list[Suggestion]:
    return list(
        Suggestion.objects.filter(hidden=False)
        .exclude(
            status__in=[
                Suggestion.Status.DUPLICATE,
                Suggestion.Status.DECLINED,
                Suggestion.Status.DONE,
            ]
        )
        .order_by("-votes", "-created_at")[:limit]
    )
