"""Customers help customers: the asker (or a moderator) accepts one answer, members vote posts
helpful. Reputation and points (through the rewards ledger) come once per post, however often an
answer is accepted and un-accepted; the topic row is locked so two accepts never race."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.services import audit_log
from forums.models import ForumProfile, Post, Topic, Vote
from forums.permissions import Viewer, check_accept_post, check_vote_post
from rewards.models import Activity
from rewards.services.activities import points_earn_for_activity

from .notifications import accepted_notify
from .profiles import profile_for, trust_level_review


def _as_validation(error: PermissionDenied) -> ValidationError:
    return ValidationError(str(error), code="permission_denied")


def answer_accept(*, viewer: Viewer, post: Post) -> Post:
    """Make `post` the topic's accepted answer (replacing any other)."""
    try:
        check_accept_post(viewer, post)
    except PermissionDenied as error:
        raise _as_validation(error) from None
    now = timezone.now()
    with transaction.atomic():
        topic = Topic.objects.select_for_update().get(pk=post.topic_id)
        post = Post.objects.select_for_update().select_related("author").get(pk=post.pk)
        if post.is_accepted:
            return post
        Post.objects.filter(topic=topic, is_accepted=True).update(is_accepted=False)
        post.is_accepted, post.accepted_at = True, now
        fields = ["is_accepted", "accepted_at"]
        first_time = not post.rewarded and post.author_id != topic.author_id
        if first_time:
            post.rewarded = True
            fields.append("rewarded")
        post.save(update_fields=fields)
        Topic.objects.filter(pk=topic.pk).update(solved_at=now)
        if first_time:
            profile_for(member=post.author)
            ForumProfile.objects.filter(member_id=post.author_id).update(
                reputation=F("reputation") + settings.FORUMS_REPUTATION_ACCEPTED,
                accepted_count=F("accepted_count") + 1,
            )
            points_earn_for_activity(
                member=post.author,
                activity=Activity.FORUM_ANSWER_ACCEPTED,
                cause_key=f"post:{post.pk}",
                cause=post,
            )
            accepted_notify(post=post)
        if viewer.member is None or viewer.member.pk != topic.author_id:
            audit_log(action="forums.answer_accepted", actor=viewer.user, target=post)
    return post


def answer_unaccept(*, viewer: Viewer, post: Post) -> Post:
    """Take back the acceptance (reputation and points already given stay)."""
    try:
        check_accept_post(viewer, post)
    except PermissionDenied as error:
        raise _as_validation(error) from None
    with transaction.atomic():
        Topic.objects.select_for_update().filter(pk=post.topic_id).first()
        updated = Post.objects.filter(pk=post.pk, is_accepted=True).update(is_accepted=False)
        if updated:
            Topic.objects.filter(pk=post.topic_id).update(solved_at=None)
        post.is_accepted = False
    return post


def vote_add(*, viewer: Viewer, post: Post) -> Post:
    """Vote `post` helpful: once per member and post, never one's own."""
    try:
        check_vote_post(viewer, post)
    except PermissionDenied as error:
        raise _as_validation(error) from None
    try:
        with transaction.atomic():
            Vote.objects.create(post=post, member=viewer.author(), post_author_id=post.author_id)
            _vote_counts(post=post, delta=1)
    except IntegrityError:
        raise ValidationError(
            _("You have already voted for this post."), code="already_voted"
        ) from None
    post.refresh_from_db(fields=["helpful_count"])
    return post


def vote_remove(*, viewer: Viewer, post: Post) -> Post:
    if viewer.member is None:
        raise ValidationError(_("Only club members can vote."), code="permission_denied")
    with transaction.atomic():
        deleted, _rows = Vote.objects.filter(post=post, member=viewer.member).delete()
        if deleted:
            _vote_counts(post=post, delta=-1)
    post.refresh_from_db(fields=["helpful_count"])
    return post


def _vote_counts(*, post: Post, delta: int) -> None:
    Post.objects.filter(pk=post.pk).update(helpful_count=F("helpful_count") + delta)
    Topic.objects.filter(pk=post.topic_id).update(score=F("score") + delta)
    profile = profile_for(member=post.author)
    ForumProfile.objects.filter(pk=profile.pk).update(
        helpful_received=F("helpful_received") + delta,
        reputation=F("reputation") + delta * settings.FORUMS_REPUTATION_HELPFUL,
    )
    if delta > 0:
        profile.refresh_from_db()
        trust_level_review(profile=profile)
