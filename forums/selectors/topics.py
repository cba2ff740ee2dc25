"""Reads for the forum pages and the API: categories, topic lists (latest, top, unanswered,
solved) with unread state, a topic's posts with what the viewer did to them, similar answered
topics, top helpers. Each costs a fixed number of queries, whatever the number of rows."""

from __future__ import annotations

import datetime

from django.db.models import (
    BooleanField,
    Count,
    Exists,
    F,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.utils import timezone

from forums.models import Category, Flag, ForumProfile, Post, Topic, TopicRead, Vote
from forums.permissions import Viewer, categories_readable, topics_visible
from members.models import Member

SORTS = ("latest", "top", "unanswered", "solved")


def category_list(*, viewer: Viewer) -> list[Category]:
    hidden = Q() if viewer.is_moderator else Q(topics__is_hidden=False)
    return list(
        categories_readable(viewer)
        .annotate(topic_total=Count("topics", filter=hidden & Q(topics__merged_into=None)))
        .order_by("order", "name")
    )


def topic_list(
    *, viewer: Viewer, category: Category | None = None, sort: str = "latest"
) -> QuerySet[Topic]:
    topics = topics_visible(viewer).filter(merged_into=None)
    if category is not None:
        topics = topics.filter(category=category)
    if sort == "top":
        topics = topics.order_by("-score", "-last_post_at", "-id")
    elif sort == "unanswered":
        topics = topics.filter(kind=Topic.Kind.QUESTION, reply_count=0).order_by(
            "-created_at", "-id"
        )
    elif sort == "solved":
        topics = topics.filter(solved_at__isnull=False).order_by("-solved_at", "-id")
    else:
        topics = topics.order_by("-is_pinned", "-last_post_at", "-id")
    topics = topics.select_related("category", "author__forum_profile", "author__user")
    if viewer.member is not None:
        read_at = TopicRead.objects.filter(member=viewer.member, topic=OuterRef("pk")).values(
            "last_read_at"
        )[:1]
        topics = topics.annotate(read_at=Subquery(read_at)).annotate(
            is_unread=Q(read_at__isnull=True) | Q(read_at__lt=F("last_post_at"))
        )
    else:
        topics = topics.annotate(is_unread=Value(False, output_field=BooleanField()))
    return topics


def topic_posts(*, viewer: Viewer, topic: Topic) -> list[Post]:
    """The topic's posts in order, each with the author's profile and the viewer's vote; the
    accepted answer is also returned first by `accepted_answer`."""
    posts = Post.objects.filter(topic=topic).select_related("author__forum_profile", "author__user")
    if viewer.member is not None:
        posts = posts.annotate(
            voted=Exists(Vote.objects.filter(post=OuterRef("pk"), member=viewer.member)),
            flagged=Exists(Flag.objects.filter(post=OuterRef("pk"), member=viewer.member)),
        )
    return list(posts.order_by("number"))


def post_revisions(*, post: Post):
    return list(post.revisions.select_related("edited_by").order_by("-created_at", "-id"))


def similar_answered_topics(*, viewer: Viewer, title: str, limit: int = 5) -> list[Topic]:
    """Answered questions like `title` (full-text on PostgreSQL, words on SQLite)."""
    from .search import topic_search

    title = (title or "").strip()
    if len(title) < 4:
        return []
    return topic_search(viewer=viewer, query=title, solved_only=True, limit=limit)


def profile_page(*, member: Member) -> ForumProfile | None:
    return ForumProfile.objects.select_related("member").filter(member=member).first()


def top_helpers(*, since: datetime.datetime | None = None, limit: int = 10) -> list[dict]:
    """The most helpful members: reputation of all time, or accepted answers and helpful votes
    received since `since` (this month), by display name."""
    if since is None:
        rows = (
            ForumProfile.objects.filter(
                ~Q(display_name=""), reputation__gt=0, member__status=Member.Status.ACTIVE
            )
            .order_by("-reputation", "member_id")
            .values("display_name", "reputation", "accepted_count", "is_expert")[:limit]
        )
        return [dict(row) for row in rows]
    from django.conf import settings

    accepted = dict(
        Post.objects.filter(accepted_at__gte=since, is_accepted=True, rewarded=True)
        .values_list("author_id")
        .annotate(n=Count("id"))
        .values_list("author_id", "n")
    )
    votes = dict(
        Vote.objects.filter(created_at__gte=since)
        .values_list("post_author_id")
        .annotate(n=Count("id"))
        .values_list("post_author_id", "n")
    )
    scores = {
        member_id: accepted.get(member_id, 0) * settings.FORUMS_REPUTATION_ACCEPTED
        + votes.get(member_id, 0) * settings.FORUMS_REPUTATION_HELPFUL
        for member_id in set(accepted) | set(votes)
    }
    best = sorted(scores, key=lambda m: (-scores[m], m))[: limit * 2]
    profiles = {
        p.member_id: p
        for p in ForumProfile.objects.filter(
            ~Q(display_name=""), member_id__in=best, member__status=Member.Status.ACTIVE
        )
    }
    return [
        {
            "display_name": profiles[m].display_name,
            "reputation": scores[m],
            "accepted_count": accepted.get(m, 0),
            "is_expert": profiles[m].is_expert,
        }
        for m in best
        if m in profiles
    ][:limit]


def month_start(now: datetime.datetime | None = None) -> datetime.datetime:
    now = timezone.localtime(now or timezone.now())
    return now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def moderation_queue() -> QuerySet[Post]:
    """Posts flagged and waiting, or hidden: newest first, with their flags."""
    return (
        Post.objects.filter(Q(flags__outcome=Flag.Outcome.OPEN) | Q(is_hidden=True))
        .distinct()
        .select_related("topic__category", "author__forum_profile")
        .prefetch_related(
            Prefetch("flags", queryset=Flag.objects.select_related("member__forum_profile"))
        )
        .order_by("-created_at", "-id")
    )
