"""Who hears about what: follows, and the notifications (reply, mention, accepted answer) that
the digest e-mails (`forums.services.digest`). Written in the transaction of the post."""

from __future__ import annotations

import re

from django.db.models import Q
from django.db.models.functions import Lower

from forums.models import Category, Follow, ForumProfile, Notification, Post, Topic
from members.models import Member

MENTION = re.compile(r"(?<![\w@/])@([\w][\w.\-]{1,28}[\w])", re.UNICODE)


def mentioned_names(source: str) -> list[str]:
    """The display names @mentioned in `source`, lower-cased, each once, in order."""
    seen: dict[str, None] = {}
    for name in MENTION.findall(source or ""):
        seen.setdefault(name.lower(), None)
    return list(seen)


def mentioned_members(source: str) -> list[int]:
    names = mentioned_names(source)
    if not names:
        return []
    return list(
        ForumProfile.objects.annotate(name=Lower("display_name"))
        .filter(name__in=names, member__status=Member.Status.ACTIVE)
        .values_list("member_id", flat=True)
    )


def follow_topic(*, member: Member, topic: Topic) -> None:
    Follow.objects.get_or_create(member=member, topic=topic)


def follow_category(*, member: Member, category: Category) -> None:
    Follow.objects.get_or_create(member=member, category=category)


def unfollow(*, member: Member, topic: Topic | None = None, category: Category | None = None):
    Follow.objects.filter(member=member, topic=topic, category=category).delete()


def _notify(member_ids, *, kind: str, post: Post) -> None:
    rows = [
        Notification(member_id=member_id, kind=kind, post=post)
        for member_id in sorted(set(member_ids))
        if member_id != post.author_id
    ]
    if rows:
        Notification.objects.bulk_create(rows, ignore_conflicts=True)


def post_notify(*, post: Post, new_topic: bool) -> None:
    """A new post: mentioned members, followers of the topic (a reply) or of its category (a
    new topic) hear about it; a mention wins over a reply for the same post."""
    mentioned = set(mentioned_members(post.source))
    _notify(mentioned, kind=Notification.Kind.MENTION, post=post)
    topic = post.topic
    who = Q(category_id=topic.category_id) if new_topic else Q(topic_id=topic.pk)
    followers = set(
        Follow.objects.filter(who, member__status=Member.Status.ACTIVE).values_list(
            "member_id", flat=True
        )
    )
    _notify(followers - mentioned, kind=Notification.Kind.REPLY, post=post)


def accepted_notify(*, post: Post) -> None:
    if post.author_id != post.topic.author_id:
        Notification.objects.get_or_create(
            member_id=post.author_id, kind=Notification.Kind.ACCEPTED, post=post
        )
