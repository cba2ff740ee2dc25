"""Flags and moderation. Members flag posts (weighted by their trust); a post whose flag weight
reaches FORUMS_FLAG_HIDE_WEIGHT is hidden until a moderator reviews it. Moderators hide, restore,
edit (`posting.post_edit`, recorded), move, lock, pin, merge duplicate topics and suspend members
from posting. Every moderation action is in the audit log, and the member is told why by e-mail
(through the outbox, in their language)."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.db.models import F, Max
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from core.email import email_send_later
from core.services import audit_log
from forums.models import Category, Flag, ForumProfile, Post, Topic
from forums.permissions import Viewer, check_flag_post, check_moderate
from members.models import Member

from .profiles import profile_for

REASON_MAX = 300

MESSAGES = {
    "hidden": (
        _("Your forum post was hidden"),
        _("A moderator hid your post in “%(topic)s”.\n\nWhy: %(reason)s"),
    ),
    "flag_hidden": (
        _("Your forum post was hidden"),
        _(
            "Members flagged your post in “%(topic)s”, so it is hidden until a moderator has "
            "looked at it."
        ),
    ),
    "restored": (
        _("Your forum post is visible again"),
        _("A moderator restored your post in “%(topic)s”."),
    ),
    "edited": (
        _("A moderator edited your forum post"),
        _("A moderator edited your post in “%(topic)s”.\n\nWhy: %(reason)s"),
    ),
    "moved": (
        _("Your forum topic was moved"),
        _("A moderator moved “%(topic)s” to %(category)s.\n\nWhy: %(reason)s"),
    ),
    "locked": (
        _("Your forum topic was locked"),
        _("A moderator locked “%(topic)s”: no new replies.\n\nWhy: %(reason)s"),
    ),
    "merged": (
        _("Your forum topic was merged"),
        _("A moderator merged “%(topic)s” into “%(target)s”.\n\nWhy: %(reason)s"),
    ),
    "suspended": (
        _("You may not post in the forums for a while"),
        _("A moderator suspended you from posting until %(until)s.\n\nWhy: %(reason)s"),
    ),
}


def member_tell(
    *,
    member: Member,
    what: str,
    post: Post | None = None,
    topic: Topic | None = None,
    reason: str = "",
    **extra,
) -> None:
    """E-mail the member what a moderator did and why, in their language (via the outbox)."""
    if not member.email or member.status != Member.Status.ACTIVE:
        return
    topic = topic or (post.topic if post is not None else None)
    subject, body = MESSAGES[what]
    with translation.override(member.language):
        params = {"topic": topic.title if topic else "", "reason": reason or "–", **extra}
        text = str(body) % params
        link = ""
        if topic is not None:
            link = settings.SITE_URL.rstrip("/") + reverse("forums:topic", args=[topic.pk])
        message = EmailMessage(
            subject=str(subject),
            body=f"{text}\n\n{link}".strip() + "\n",
            to=[member.email],
        )
    email_send_later(message)


def _reason(reason: str, *, required: bool = True) -> str:
    reason = " ".join((reason or "").split())[:REASON_MAX]
    if required and not reason:
        raise ValidationError(_("Please give a reason: the member is told."), code="no_reason")
    return reason


def _moderator(viewer: Viewer) -> None:
    try:
        check_moderate(viewer)
    except PermissionDenied as error:
        raise ValidationError(str(error), code="permission_denied") from None


# --- Flags ---------------------------------------------------------------------------------------


def flag_create(*, viewer: Viewer, post: Post, reason: str, note: str = "") -> Flag:
    """Flag a post, once per member; hides it when the weight reaches the threshold."""
    try:
        check_flag_post(viewer, post)
    except PermissionDenied as error:
        raise ValidationError(str(error), code="permission_denied") from None
    if reason not in Flag.Reason.values:
        raise ValidationError(_("Choose why you flag this post."), code="reason_invalid")
    weight = settings.FORUMS_FLAG_HIDE_WEIGHT if viewer.is_moderator else viewer.trust_level + 1
    try:
        with transaction.atomic():
            flag = Flag.objects.create(
                post=post,
                member=viewer.author(),
                reason=reason,
                note=(note or "")[:500],
                weight=weight,
            )
            Post.objects.filter(pk=post.pk).update(flag_weight=F("flag_weight") + weight)
            locked = (
                Post.objects.select_for_update().select_related("topic", "author").get(pk=post.pk)
            )
            if not locked.is_hidden and locked.flag_weight >= settings.FORUMS_FLAG_HIDE_WEIGHT:
                _hide(locked, reason=str(_("Hidden after flags from members.")))
                audit_log(action="forums.post_hidden_by_flags", target=locked)
                member_tell(member=locked.author, what="flag_hidden", post=locked)
    except IntegrityError:
        raise ValidationError(
            _("You have already flagged this post."), code="already_flagged"
        ) from None
    return flag


def _hide(post: Post, *, reason: str) -> None:
    post.is_hidden, post.hidden_reason = True, reason[:REASON_MAX]
    was_accepted, post.is_accepted = post.is_accepted, False
    post.save(update_fields=["is_hidden", "hidden_reason", "is_accepted"])
    if was_accepted:
        Topic.objects.filter(pk=post.topic_id).update(solved_at=None)
    if post.is_first:
        Topic.objects.filter(pk=post.topic_id).update(is_hidden=True)


# --- Posts ---------------------------------------------------------------------------------------


def post_hide(*, viewer: Viewer, post: Post, reason: str, request=None) -> Post:
    """Hide a post (its open flags are upheld, which counts against the author's trust)."""
    _moderator(viewer)
    reason = _reason(reason)
    with transaction.atomic():
        post = Post.objects.select_for_update().select_related("topic", "author").get(pk=post.pk)
        _hide(post, reason=reason)
        upheld = Flag.objects.filter(post=post, outcome=Flag.Outcome.OPEN).update(
            outcome=Flag.Outcome.UPHELD
        )
        if upheld:
            profile_for(member=post.author)
            ForumProfile.objects.filter(member_id=post.author_id).update(
                flags_upheld=F("flags_upheld") + 1
            )
        audit_log(
            action="forums.post_hidden",
            actor=viewer.user,
            target=post,
            request=request,
            details={"reason": reason},
        )
        member_tell(member=post.author, what="hidden", post=post, reason=reason)
    return post


def post_restore(*, viewer: Viewer, post: Post, reason: str = "", request=None) -> Post:
    """Show a hidden post again; its open flags are dismissed and their weight cleared."""
    _moderator(viewer)
    reason = _reason(reason, required=False)
    with transaction.atomic():
        post = Post.objects.select_for_update().select_related("topic", "author").get(pk=post.pk)
        post.is_hidden, post.hidden_reason, post.flag_weight = False, "", 0
        post.save(update_fields=["is_hidden", "hidden_reason", "flag_weight"])
        if post.is_first:
            Topic.objects.filter(pk=post.topic_id).update(is_hidden=False)
        Flag.objects.filter(post=post, outcome=Flag.Outcome.OPEN).update(
            outcome=Flag.Outcome.DISMISSED
        )
        audit_log(
            action="forums.post_restored",
            actor=viewer.user,
            target=post,
            request=request,
            details={"reason": reason},
        )
        member_tell(member=post.author, what="restored", post=post, reason=reason)
    return post


def flags_dismiss(*, viewer: Viewer, post: Post, request=None) -> int:
    """Keep the post as it is and close its open flags."""
    _moderator(viewer)
    with transaction.atomic():
        count = Flag.objects.filter(post=post, outcome=Flag.Outcome.OPEN).update(
            outcome=Flag.Outcome.DISMISSED
        )
        Post.objects.filter(pk=post.pk).update(flag_weight=0)
        audit_log(action="forums.flags_dismissed", actor=viewer.user, target=post, request=request)
    return count


# --- Topics --------------------------------------------------------------------------------------


def topic_move(*, viewer: Viewer, topic: Topic, category: Category, reason: str, request=None):
    _moderator(viewer)
    reason = _reason(reason)
    with transaction.atomic():
        Topic.objects.filter(pk=topic.pk).update(category=category)
        topic.category = category
        audit_log(
            action="forums.topic_moved",
            actor=viewer.user,
            target=topic,
            request=request,
            details={"reason": reason, "category": category.pk},
        )
        member_tell(
            member=topic.author, what="moved", topic=topic, reason=reason, category=category.name
        )
    return topic


def topic_lock(*, viewer: Viewer, topic: Topic, locked: bool, reason: str = "", request=None):
    _moderator(viewer)
    reason = _reason(reason, required=locked)
    with transaction.atomic():
        Topic.objects.filter(pk=topic.pk).update(is_locked=locked)
        topic.is_locked = locked
        audit_log(
            action="forums.topic_locked" if locked else "forums.topic_unlocked",
            actor=viewer.user,
            target=topic,
            request=request,
            details={"reason": reason},
        )
        if locked:
            member_tell(member=topic.author, what="locked", topic=topic, reason=reason)
    return topic


def topic_pin(*, viewer: Viewer, topic: Topic, pinned: bool, request=None):
    _moderator(viewer)
    with transaction.atomic():
        Topic.objects.filter(pk=topic.pk).update(is_pinned=pinned)
        topic.is_pinned = pinned
        audit_log(
            action="forums.topic_pinned" if pinned else "forums.topic_unpinned",
            actor=viewer.user,
            target=topic,
            request=request,
        )
    return topic


def topic_merge(*, viewer: Viewer, topic: Topic, into: Topic, reason: str, request=None) -> Topic:
    """Merge a duplicate: its posts move to the end of `into` (numbered after its last post),
    in their order; the duplicate stays as a locked pointer to `into`."""
    _moderator(viewer)
    reason = _reason(reason)
    if topic.pk == into.pk:
        raise ValidationError(_("A topic cannot be merged into itself."), code="merge_self")
    if into.merged_into_id:
        raise ValidationError(
            _("That topic was itself merged; merge into the topic it points to."),
            code="merge_chain",
        )
    with transaction.atomic():
        first, second = sorted([topic.pk, into.pk])
        locked = {
            t.pk: t
            for t in Topic.objects.select_for_update().filter(pk__in=[first, second]).order_by("pk")
        }
        source, target = locked[topic.pk], locked[into.pk]
        offset = Post.objects.filter(topic=target).aggregate(m=Max("number"))["m"] or 0
        posts = list(Post.objects.filter(topic=source).order_by("number"))
        target_solved = Post.objects.filter(topic=target, is_accepted=True).exists()
        # Out of the way first, so the unique (topic, number) never collides mid-update.
        Post.objects.filter(topic=source).update(number=F("number") + offset + 1_000_000)
        for index, post in enumerate(posts, start=1):
            fields = {"topic": target, "number": offset + index}
            if post.is_accepted and (target_solved or not target.is_question):
                fields["is_accepted"] = False
            Post.objects.filter(pk=post.pk).update(**fields)
        moved = len(posts)
        latest = max([p.created_at for p in posts], default=target.last_post_at)
        Topic.objects.filter(pk=target.pk).update(
            post_count=F("post_count") + moved,
            reply_count=F("reply_count") + moved,
            last_post_at=max(latest, target.last_post_at),
        )
        if not target_solved and Post.objects.filter(topic=target, is_accepted=True).exists():
            Topic.objects.filter(pk=target.pk).update(solved_at=timezone.now())
        Topic.objects.filter(pk=source.pk).update(
            merged_into=target, is_locked=True, post_count=0, reply_count=0, solved_at=None
        )
        audit_log(
            action="forums.topic_merged",
            actor=viewer.user,
            target=source,
            request=request,
            details={"reason": reason, "into": target.pk},
        )
        member_tell(
            member=source.author, what="merged", topic=source, reason=reason, target=target.title
        )
    target.refresh_from_db()
    return target


# --- Members -------------------------------------------------------------------------------------


def member_suspend(
    *, viewer: Viewer, member: Member, until: datetime.datetime, reason: str, request=None
) -> ForumProfile:
    """Suspend a member from posting until `until` (None or the past lifts the suspension)."""
    _moderator(viewer)
    lifting = until is None or until <= timezone.now()
    reason = _reason(reason, required=not lifting)
    with transaction.atomic():
        profile = profile_for(member=member)
        profile.suspended_until = None if lifting else until
        profile.suspension_reason = "" if lifting else reason
        profile.save(update_fields=["suspended_until", "suspension_reason"])
        audit_log(
            action="forums.member_unsuspended" if lifting else "forums.member_suspended",
            actor=viewer.user,
            target=member,
            request=request,
            details={"reason": reason, "until": until.isoformat() if until else None},
        )
        if not lifting:
            with translation.override(member.language):
                shown = date_format(timezone.localtime(until), "DATETIME_FORMAT")
            member_tell(member=member, what="suspended", reason=reason, until=shown)
    return profile


def expert_set(*, viewer: Viewer, member: Member, expert: bool, request=None) -> ForumProfile:
    _moderator(viewer)
    profile = profile_for(member=member)
    ForumProfile.objects.filter(pk=profile.pk).update(is_expert=expert)
    profile.is_expert = expert
    audit_log(
        action="forums.expert_set" if expert else "forums.expert_unset",
        actor=viewer.user,
        target=member,
        request=request,
    )
    return profile
