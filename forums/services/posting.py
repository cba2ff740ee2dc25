"""Posting: a new topic, a reply, an edit and a deletion, each one transaction.

The member's forum profile row is locked first, so the limits of their trust level (topics and
replies in their first day of posting, seconds between posts, links, images and mentions per
post) are counted inside the lock and hold under concurrent posts. Markdown is rendered and
sanitised once, at save (`core.markup.markdown_render`); an edit keeps the earlier text as a
revision. Mentioned members and followers are notified in the same transaction.
"""

from __future__ import annotations

import datetime
import re

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from core.markup import markdown_render
from core.services import audit_log
from forums.models import Category, ForumProfile, Post, PostRevision, Topic
from forums.permissions import (
    Viewer,
    check_delete_post,
    check_edit_post,
    check_post_category,
    check_reply_topic,
)

from .notifications import follow_topic, mentioned_names, post_notify
from .profiles import profile_lock, trust_level_review

TITLE_MIN_WORD_CHARS = 3
TITLE_MAX = 150
WORD_CHAR = re.compile(r"\w", re.UNICODE)
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def _limit(setting: str, level: int) -> int:
    values = [int(v) for v in str(getattr(settings, setting)).split(",")]
    return values[min(level, len(values) - 1)]


def title_clean(title: str) -> str:
    title = " ".join(CONTROL.sub("", title or "").split())
    if not title:
        raise ValidationError(_("Please give the topic a title."), code="title_empty")
    if len(WORD_CHAR.findall(title)) < TITLE_MIN_WORD_CHARS:
        raise ValidationError(
            _("A title needs at least three letters or digits, not only symbols or emoji."),
            code="title_no_words",
        )
    if len(title) > TITLE_MAX:
        raise ValidationError(
            _("A title can be at most %(max)d characters.") % {"max": TITLE_MAX},
            code="title_too_long",
        )
    return title


def source_clean(source: str) -> str:
    source = CONTROL.sub("", (source or "").replace("\r\n", "\n"))
    if not source.strip():
        raise ValidationError(_("Please write something before posting."), code="body_empty")
    if len(source) > settings.FORUMS_POST_MAX_CHARS:
        raise ValidationError(
            _("A post can be at most %(max)d characters; yours has %(length)d.")
            % {"max": settings.FORUMS_POST_MAX_CHARS, "length": len(source)},
            code="body_too_long",
        )
    return source.strip("\n")


def _content_limits(*, source: str, html: str, level: int) -> None:
    checks = (
        ("FORUMS_LIMIT_LINKS", html.count("<a "), _("links")),
        ("FORUMS_LIMIT_IMAGES", html.count("<img"), _("images")),
        ("FORUMS_LIMIT_MENTIONS", len(mentioned_names(source)), _("mentions")),
    )
    for setting, count, what in checks:
        limit = _limit(setting, level)
        if count > limit:
            raise ValidationError(
                _(
                    "At your trust level a post may have at most %(limit)d %(what)s; this has "
                    "%(count)d."
                )
                % {"limit": limit, "what": what, "count": count},
                code="too_many",
            )


def _refuse_until(when: datetime.datetime) -> ValidationError:
    return ValidationError(
        _("You are posting too quickly. You may post again at %(when)s.")
        % {"when": date_format(timezone.localtime(when), "DATETIME_FORMAT")},
        code="rate_limited",
        params={"retry_at": when.isoformat()},
    )


def _rate_limits(*, profile: ForumProfile, new_topic: bool, now: datetime.datetime) -> None:
    level = profile.trust_level
    if profile.last_post_at is not None:
        wait = _limit("FORUMS_LIMIT_SECONDS_BETWEEN", level)
        allowed_at = profile.last_post_at + datetime.timedelta(seconds=wait)
        if wait and now < allowed_at:
            raise _refuse_until(allowed_at)
    if profile.first_post_at is not None:
        day_end = profile.first_post_at + datetime.timedelta(days=1)
        if now < day_end:
            posts = Post.objects.filter(
                author_id=profile.member_id, created_at__gte=day_end - datetime.timedelta(days=1)
            )
            if new_topic:
                count = posts.filter(number=1).count()
                limit = _limit("FORUMS_LIMIT_FIRST_DAY_TOPICS", level)
            else:
                count = posts.exclude(number=1).count()
                limit = _limit("FORUMS_LIMIT_FIRST_DAY_REPLIES", level)
            if count >= limit:
                raise _refuse_until(day_end)


def _as_validation(error: PermissionDenied) -> ValidationError:
    return ValidationError(str(error) or _("You may not do this."), code="permission_denied")


def _posting_profile(viewer: Viewer) -> ForumProfile:
    profile = profile_lock(member=viewer.author())
    if not profile.display_name:
        raise ValidationError(
            _("Choose your display name in the forums before posting."),
            code="no_display_name",
        )
    viewer.profile = profile
    return profile


def _post_write(
    *, topic: Topic, viewer: Viewer, profile: ForumProfile, source: str, html: str, now
) -> Post:
    number = (topic.post_count or 0) + 1
    post = Post.objects.create(
        topic=topic,
        number=number,
        author=viewer.author(),
        source=source,
        html=html,
        language=viewer.author().language,
        created_at=now,
    )
    profile_fields = {"post_count": F("post_count") + 1, "last_post_at": now}
    if profile.first_post_at is None:
        profile_fields["first_post_at"] = now
    if number == 1:
        profile_fields["topic_count"] = F("topic_count") + 1
    ForumProfile.objects.filter(pk=profile.pk).update(**profile_fields)
    profile.refresh_from_db()
    trust_level_review(profile=profile)
    return post


def topic_create(
    *,
    viewer: Viewer,
    category: Category,
    title: str,
    source: str,
    kind: str = Topic.Kind.QUESTION,
    now: datetime.datetime | None = None,
) -> Topic:
    """Start a topic (a question or a discussion) with its first post."""
    try:
        check_post_category(viewer, category)
    except PermissionDenied as error:
        raise _as_validation(error) from None
    if kind not in Topic.Kind.values:
        raise ValidationError(_("Choose a question or a discussion."), code="kind_invalid")
    title = title_clean(title)
    source = source_clean(source)
    with transaction.atomic():
        profile = _posting_profile(viewer)
        now = now or timezone.now()  # read inside the lock: the limits count up to this moment
        _rate_limits(profile=profile, new_topic=True, now=now)
        html = markdown_render(source)
        _content_limits(source=source, html=html, level=profile.trust_level)
        topic = Topic.objects.create(
            category=category,
            kind=kind,
            title=title,
            author=viewer.author(),
            language=viewer.author().language,
            last_post_at=now,
            created_at=now,
        )
        post = _post_write(
            topic=topic, viewer=viewer, profile=profile, source=source, html=html, now=now
        )
        Topic.objects.filter(pk=topic.pk).update(post_count=1)
        topic.post_count = 1
        follow_topic(member=viewer.author(), topic=topic)
        post_notify(post=post, new_topic=True)
    return topic


def reply_create(
    *, viewer: Viewer, topic: Topic, source: str, now: datetime.datetime | None = None
) -> Post:
    """Reply to a topic. The topic row is locked too, so post numbers never collide."""
    try:
        check_reply_topic(viewer, topic)
    except PermissionDenied as error:
        raise _as_validation(error) from None
    source = source_clean(source)
    with transaction.atomic():
        profile = _posting_profile(viewer)
        now = now or timezone.now()  # read inside the lock: the limits count up to this moment
        _rate_limits(profile=profile, new_topic=False, now=now)
        html = markdown_render(source)
        _content_limits(source=source, html=html, level=profile.trust_level)
        locked = Topic.objects.select_for_update().get(pk=topic.pk)
        if locked.is_locked and not viewer.is_moderator:
            raise ValidationError(
                _("This topic is locked: no new replies."), code="permission_denied"
            )
        post = _post_write(
            topic=locked, viewer=viewer, profile=profile, source=source, html=html, now=now
        )
        fields = {
            "post_count": F("post_count") + 1,
            "reply_count": F("reply_count") + 1,
            "last_post_at": now,
        }
        if locked.first_answer_at is None and viewer.author().pk != locked.author_id:
            fields["first_answer_at"] = now
        Topic.objects.filter(pk=locked.pk).update(**fields)
        topic.refresh_from_db()
        follow_topic(member=viewer.author(), topic=topic)
        post_notify(post=post, new_topic=False)
    return post


def post_edit(
    *, viewer: Viewer, post: Post, source: str, title: str | None = None, reason: str = ""
) -> Post:
    """Change a post's text (and, on a topic's first post, its title), keeping the earlier
    version as a revision. A moderator's edit of someone else's post is audited and the
    author is told (`forums.services.moderation`)."""
    try:
        check_edit_post(viewer, post)
    except PermissionDenied as error:
        raise _as_validation(error) from None
    source = source_clean(source)
    new_title = title_clean(title) if title is not None and post.is_first else None
    html = markdown_render(source)
    if not viewer.is_moderator:
        _content_limits(source=source, html=html, level=viewer.trust_level)
    with transaction.atomic():
        locked = Post.objects.select_for_update().select_related("topic").get(pk=post.pk)
        PostRevision.objects.create(
            post=locked,
            source=locked.source,
            html=locked.html,
            title=locked.topic.title if locked.is_first else "",
            edited_by=viewer.user,
            reason=(reason or "")[:300],
        )
        locked.source, locked.html, locked.edited_at = source, html, timezone.now()
        locked.save(update_fields=["source", "html", "edited_at"])
        if new_title is not None and new_title != locked.topic.title:
            Topic.objects.filter(pk=locked.topic_id).update(title=new_title)
            locked.topic.title = new_title
        if viewer.member is None or locked.author_id != viewer.member.pk:
            audit_log(
                action="forums.post_edited",
                actor=viewer.user,
                target=locked,
                details={"reason": reason},
            )
            from .moderation import member_tell

            member_tell(member=locked.author, what="edited", post=locked, reason=reason)
    return locked


def post_delete(*, viewer: Viewer, post: Post) -> Post:
    """The author removes their post (within the edit window): it is hidden, not destroyed,
    so the conversation keeps its numbering; the first post hides the whole topic."""
    try:
        check_delete_post(viewer, post)
    except PermissionDenied as error:
        raise _as_validation(error) from None
    with transaction.atomic():
        was_accepted = post.is_accepted
        post.is_hidden = True
        post.hidden_reason = str(_("Removed by its author."))
        post.is_accepted = False
        post.save(update_fields=["is_hidden", "hidden_reason", "is_accepted"])
        if post.is_first:
            Topic.objects.filter(pk=post.topic_id).update(is_hidden=True)
        if was_accepted:
            Topic.objects.filter(pk=post.topic_id).update(solved_at=None)
        if viewer.member is None or post.author_id != viewer.member.pk:
            audit_log(action="forums.post_deleted", actor=viewer.user, target=post)
    return post
