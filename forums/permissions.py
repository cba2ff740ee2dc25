"""Who may do what in the forums, in one place (Misago's `check_<action>_<object>`).

A `Viewer` is the request's user seen by the forums: their member, forum profile, tier and
whether they moderate. Every view and API path builds one with `viewer_for_user` and asks the
`check_*` functions (PermissionDenied with a message for the member) or the `*_get_for_user`
selectors (Http404 for what the viewer may not see), never `Model.objects.get(pk=...)`.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db.models import F, Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from forums.models import Access, Category, ForumProfile, Post, Topic
from members.models import Member

MODERATE_PERMISSION = "forums.moderate_forum"


@dataclass
class Viewer:
    user: Any
    member: Member | None
    profile: ForumProfile | None
    tier_id: int | None = None
    is_staff: bool = False
    is_moderator: bool = False
    extra: dict = field(default_factory=dict)

    @property
    def is_member(self) -> bool:
        return self.member is not None and self.member.status == Member.Status.ACTIVE

    def author(self) -> Member:
        """The member who writes (services call this after the access checks passed)."""
        if self.member is None:
            raise PermissionDenied(_("Only club members can post in the forums."))
        return self.member

    @property
    def trust_level(self) -> int:
        return self.profile.trust_level if self.profile else 0


def viewer_for_user(user) -> Viewer:
    """The forums' view of a login: anonymous, a member, staff, a moderator. One query for a
    member (with their profile and tier); staff roles add the permission lookups."""
    if user is None or not user.is_authenticated:
        return Viewer(user=None, member=None, profile=None)
    member = (
        Member.objects.filter(user=user)
        .exclude(status=Member.Status.ERASED)
        .select_related("forum_profile")
        .annotate(forum_tier_id=F("points_account__tier_id"))
        .first()
    )
    profile = None
    tier_id = None
    if member is not None:
        profile = member.forum_profile if _has_profile(member) else None
        tier_id = member.forum_tier_id  # type: ignore[attr-defined]
    # Moderators are staff roles (groups); members' logins never hold the permission.
    staff = bool(user.is_staff or user.is_superuser)
    return Viewer(
        user=user,
        member=member,
        profile=profile,
        tier_id=tier_id,
        is_staff=bool(user.is_staff),
        is_moderator=staff and user.is_active and user.has_perm(MODERATE_PERMISSION),
    )


def _has_profile(member: Member) -> bool:
    try:
        member.forum_profile  # noqa: B018 - loaded by select_related
    except ForumProfile.DoesNotExist:
        return False
    return True


# --- Categories ----------------------------------------------------------------------------------


def _access_q(prefix: str, viewer: Viewer) -> Q:
    access, tiers = f"{prefix}_access", f"{prefix}_tiers"
    if viewer.is_staff or viewer.is_moderator:
        return Q()
    if not viewer.is_member:
        return Q(pk__in=[])
    q = Q(**{access: Access.MEMBERS})
    if viewer.tier_id is not None:
        q |= Q(**{access: Access.TIERS, tiers: viewer.tier_id})
    return q


def categories_readable(viewer: Viewer) -> QuerySet[Category]:
    return Category.objects.filter(_access_q("read", viewer)).distinct()


def _tier_ids(category: Category, which: str) -> set[int]:
    cache = category.__dict__.setdefault("_tier_ids", {})
    if which not in cache:
        cache[which] = set(getattr(category, f"{which}_tiers").values_list("pk", flat=True))
    return cache[which]


def _allowed(category: Category, which: str, viewer: Viewer) -> bool:
    if viewer.is_staff or viewer.is_moderator:
        return True
    if not viewer.is_member:
        return False
    access = getattr(category, f"{which}_access")
    if access == Access.MEMBERS:
        return True
    if access == Access.TIERS:
        return viewer.tier_id is not None and viewer.tier_id in _tier_ids(category, which)
    return False


def can_read_category(viewer: Viewer, category: Category) -> bool:
    return _allowed(category, "read", viewer)


def check_read_category(viewer: Viewer, category: Category) -> None:
    if not can_read_category(viewer, category):
        raise Http404


def category_get_for_user(*, viewer: Viewer, slug: str) -> Category:
    category = Category.objects.filter(slug=slug).first()
    if category is None:
        raise Http404
    check_read_category(viewer, category)
    return category


# --- Posting -------------------------------------------------------------------------------------


def check_suspension(viewer: Viewer) -> None:
    profile = viewer.profile
    if profile is not None and profile.is_suspended():
        raise PermissionDenied(
            _("You may not post until %(until)s: %(reason)s")
            % {
                "until": date_format(
                    timezone.localtime(profile.suspended_until), "DATETIME_FORMAT"
                ),
                "reason": profile.suspension_reason,
            }
        )


def check_post_category(viewer: Viewer, category: Category) -> None:
    """May start a topic in the category (members only; staff need a member to post)."""
    check_read_category(viewer, category)
    if not viewer.is_member:
        raise PermissionDenied(_("Only club members can post in the forums."))
    if not _allowed(category, "post", viewer):
        raise PermissionDenied(_("You may not post in this category."))
    check_suspension(viewer)


def check_reply_topic(viewer: Viewer, topic: Topic) -> None:
    check_read_topic(viewer, topic)
    if topic.is_locked and not viewer.is_moderator:
        raise PermissionDenied(_("This topic is locked: no new replies."))
    if topic.merged_into_id:
        raise PermissionDenied(_("This topic was merged into another one; reply there."))
    check_post_category(viewer, topic.category)


# --- Topics and posts ----------------------------------------------------------------------------


def can_see_hidden(viewer: Viewer) -> bool:
    return viewer.is_moderator


def check_read_topic(viewer: Viewer, topic: Topic) -> None:
    check_read_category(viewer, topic.category)
    if topic.is_hidden and not (
        viewer.is_moderator or (viewer.member and topic.author_id == viewer.member.pk)
    ):
        raise Http404


def topics_visible(viewer: Viewer) -> QuerySet[Topic]:
    topics = Topic.objects.filter(category__in=categories_readable(viewer).values("pk"))
    if not viewer.is_moderator:
        topics = topics.filter(is_hidden=False)
    return topics


def topic_get_for_user(*, viewer: Viewer, topic_id: int) -> Topic:
    topic = Topic.objects.select_related("category").filter(pk=topic_id).first()
    if topic is None:
        raise Http404
    check_read_topic(viewer, topic)
    return topic


def can_read_post(viewer: Viewer, post: Post) -> bool:
    """The post's text: hidden posts only for moderators and their author."""
    if not post.is_hidden:
        return True
    return viewer.is_moderator or (viewer.member is not None and post.author_id == viewer.member.pk)


def post_get_for_user(*, viewer: Viewer, post_id: int) -> Post:
    post = (
        Post.objects.select_related("topic__category", "author__forum_profile")
        .filter(pk=post_id)
        .first()
    )
    if post is None:
        raise Http404
    check_read_topic(viewer, post.topic)
    if not can_read_post(viewer, post):
        raise Http404
    return post


def edit_window_ends(post: Post) -> datetime.datetime:
    return post.created_at + datetime.timedelta(minutes=settings.FORUMS_EDIT_WINDOW_MINUTES)


def check_edit_post(viewer: Viewer, post: Post) -> None:
    if viewer.is_moderator:
        return
    if viewer.member is None or post.author_id != viewer.member.pk:
        raise PermissionDenied(_("You can only edit your own posts."))
    if post.is_hidden:
        raise PermissionDenied(_("A hidden post cannot be edited."))
    if post.topic.is_locked:
        raise PermissionDenied(_("This topic is locked: no new replies."))
    if timezone.now() > edit_window_ends(post):
        raise PermissionDenied(
            _("Posts can be edited for %(minutes)d minutes after posting; this one no longer.")
            % {"minutes": settings.FORUMS_EDIT_WINDOW_MINUTES}
        )
    check_suspension(viewer)


def check_delete_post(viewer: Viewer, post: Post) -> None:
    if post.is_hidden and not viewer.is_moderator:
        raise PermissionDenied(_("This post is already removed."))
    check_edit_post(viewer, post)


def check_accept_post(viewer: Viewer, post: Post) -> None:
    topic = post.topic
    if not topic.is_question:
        raise PermissionDenied(_("Only answers to questions can be accepted."))
    if post.is_first:
        raise PermissionDenied(_("The question itself cannot be its answer."))
    if post.is_hidden:
        raise PermissionDenied(_("A hidden post cannot be accepted."))
    if viewer.is_moderator:
        return
    if viewer.member is None or topic.author_id != viewer.member.pk:
        raise PermissionDenied(_("Only the member who asked can accept an answer."))


def check_vote_post(viewer: Viewer, post: Post) -> None:
    if not viewer.is_member:
        raise PermissionDenied(_("Only club members can vote."))
    if post.author_id == viewer.author().pk:
        raise PermissionDenied(_("You cannot vote for your own post."))
    if post.is_hidden:
        raise PermissionDenied(_("A hidden post cannot be voted on."))


def check_flag_post(viewer: Viewer, post: Post) -> None:
    if not viewer.is_member:
        raise PermissionDenied(_("Only club members can flag posts."))
    if post.author_id == viewer.author().pk:
        raise PermissionDenied(_("You cannot flag your own post."))
    if viewer.trust_level < settings.FORUMS_FLAG_MIN_TRUST and not viewer.is_moderator:
        raise PermissionDenied(
            _("You can flag posts once you have taken part in the forums a little longer.")
        )


def check_moderate(viewer: Viewer) -> None:
    if not viewer.is_moderator:
        raise PermissionDenied(_("Only moderators can do this."))
