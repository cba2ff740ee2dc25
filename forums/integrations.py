"""What the forums add to the club through its registries (called once from ForumsConfig.ready):

- portal navigation and the back office (club life);
- segment fields: forum reputation, accepted answers, posted in the last N days;
- badge metrics: helpful answers (posts voted helpful), accepted answers;
- the member 360 timeline: topics and replies;
- the GDPR export (posts, votes, flags, follows, profile) and erasure: posts stay, under
  "Former member", so conversations keep their sense; the display name, mentions of the member
  (the @name in others' posts), votes, flags, follows, reads and notifications go;
- a home card (replies in topics the member follows) and a dashboard tile (questions answered,
  median time to a first answer) with the staff forum figures.
"""

from __future__ import annotations

import datetime
import re
from typing import Any

from django.db.models import Count, Exists, F, IntegerField, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from core.dashboard import backoffice_model_register, dashboard_tile_register
from core.home import home_card_register
from core.markup import markdown_render
from core.navigation import portal_nav_register
from forums.models import (
    Flag,
    Follow,
    ForumProfile,
    Notification,
    Post,
    PostRevision,
    Topic,
    TopicRead,
    Vote,
)
from forums.selectors.figures import forum_figures
from members.gdpr import gdpr_eraser_register, gdpr_exporter_register, gdpr_model_covered
from members.models import Member
from members.segments import NUMBER, SegmentField, compare_q, holds, segment_field_register
from members.timeline import TimelineEntry, timeline_provider_register
from rewards.metrics import badge_metric_register

FORUMS = _("Forums")


# --- Segment fields ------------------------------------------------------------------------------


def _profile_number(field: str):
    def build(operator: str, value: Any, params: dict[str, Any]) -> Q:
        q = compare_q(f"forum_profile__{field}", operator, value)
        if holds(operator, value, 0):
            q |= Q(forum_profile__isnull=True)
        return q

    return build


def _posted(operator: str, value: Any, params: dict[str, Any]) -> Q:
    """Posts written in the last `days` days (ever without days): one correlated subquery."""
    posts = Post.objects.filter(author=OuterRef("pk"), created_at__lte=params["now"])
    if params.get("days"):
        posts = posts.filter(
            created_at__gte=params["now"] - datetime.timedelta(days=params["days"])
        )
    count = Subquery(
        posts.order_by().values("author").annotate(n=Count("id")).values("n")[:1],
        output_field=IntegerField(),
    )
    ids = Member.objects.alias(posted=Coalesce(count, 0)).filter(
        compare_q("posted", operator, value)
    )
    return Q(pk__in=ids.values("pk"))


def register_segment_fields() -> None:
    segment_field_register(
        SegmentField(
            "forum_reputation", _("forum reputation"), FORUMS, NUMBER, _profile_number("reputation")
        )
    )
    segment_field_register(
        SegmentField(
            "forum_accepted_answers",
            _("accepted forum answers"),
            FORUMS,
            NUMBER,
            _profile_number("accepted_count"),
        )
    )
    segment_field_register(
        SegmentField(
            "forum_posts", _("forum posts written"), FORUMS, NUMBER, _posted, params={"days": int}
        )
    )


# --- Badge metrics -------------------------------------------------------------------------------


def helpful_answers_metric(*, member_ids=None, since=None, until=None):
    """Answers (not questions) with at least one helpful vote, by their author."""
    posts = Post.objects.filter(number__gt=1, helpful_count__gt=0, is_hidden=False)
    if member_ids is not None:
        posts = posts.filter(author_id__in=member_ids)
    if since is not None:
        posts = posts.filter(created_at__gte=since)
    if until is not None:
        posts = posts.filter(created_at__lt=until)
    return posts.values(member_id=F("author_id")).annotate(value=Count("id"))


def accepted_answers_metric(*, member_ids=None, since=None, until=None):
    """Answers accepted (and rewarded: the asker's own answers do not count), by their author."""
    posts = Post.objects.filter(rewarded=True)
    if member_ids is not None:
        posts = posts.filter(author_id__in=member_ids)
    if since is not None:
        posts = posts.filter(accepted_at__gte=since)
    if until is not None:
        posts = posts.filter(accepted_at__lt=until)
    return posts.values(member_id=F("author_id")).annotate(value=Count("id"))


# --- Timeline ------------------------------------------------------------------------------------


def _url(name: str, *args) -> str:
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return ""


def posts_timeline(*, member: Member, limit: int) -> list[TimelineEntry]:
    posts = (
        Post.objects.filter(author=member)
        .select_related("topic")
        .order_by("-created_at", "-id")[:limit]
    )
    return [
        TimelineEntry(
            at=post.created_at,
            kind="forum",
            title=(
                _("Started the topic “%(title)s”") if post.is_first else _("Replied in “%(title)s”")
            )
            % {"title": post.topic.title},
            detail=_("Accepted answer") if post.is_accepted else "",
            url=_url("forums:topic", post.topic_id),
        )
        for post in posts
    ]


# --- GDPR ----------------------------------------------------------------------------------------


def posts_export(*, member: Member) -> list[dict[str, Any]]:
    return [
        {
            "when": post.created_at.isoformat(),
            "topic": post.topic.title,
            "number": post.number,
            "text": post.source,
            "hidden": post.is_hidden,
            "accepted": post.is_accepted,
            "helpful_votes": post.helpful_count,
        }
        for post in Post.objects.filter(author=member)
        .select_related("topic")
        .order_by("created_at", "id")
    ]


def forum_activity_export(*, member: Member) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    profile = ForumProfile.objects.filter(member=member).first()
    if profile is not None:
        rows.append(
            {
                "what": "profile",
                "when": profile.created_at.isoformat(),
                "detail": f"display name: {profile.display_name}; reputation: "
                f"{profile.reputation}; trust level: {profile.trust_level}",
            }
        )
    for vote in Vote.objects.filter(member=member).select_related("post__topic"):
        rows.append(
            {"what": "helpful vote", "when": vote.created_at.isoformat(),
             "detail": f"{vote.post.topic.title} #{vote.post.number}"}
        )  # fmt: skip
    for flag in Flag.objects.filter(member=member).select_related("post__topic"):
        rows.append(
            {"what": "flag", "when": flag.created_at.isoformat(),
             "detail": f"{flag.post.topic.title} #{flag.post.number}: {flag.reason} {flag.note}"}
        )  # fmt: skip
    for follow in Follow.objects.filter(member=member).select_related("topic", "category"):
        rows.append(
            {"what": "follow", "when": follow.created_at.isoformat(),
             "detail": follow.topic.title if follow.topic else follow.category.name}
        )  # fmt: skip
    return rows


def forum_erase(*, member: Member) -> None:
    """Erasure: the member's posts stay (shown as "Former member", since the member is erased),
    their earlier versions go, mentions of their display name in other posts become "@…",
    their votes (and the counts they made), flags, follows, reads and notifications go."""
    profile = ForumProfile.objects.filter(member=member).first()
    if profile is not None and profile.display_name:
        name = profile.display_name
        pattern = re.compile(rf"(?<![\w@/])@{re.escape(name)}(?![\w.\-]*\w)", re.IGNORECASE)
        for post in Post.objects.filter(source__icontains=f"@{name}").exclude(author=member):
            source = pattern.sub("@…", post.source)
            if source != post.source:
                html = markdown_render(source)
                Post.objects.filter(pk=post.pk).update(source=source, html=html)
        for revision in PostRevision.objects.filter(source__icontains=f"@{name}"):
            source = pattern.sub("@…", revision.source)
            PostRevision.objects.filter(pk=revision.pk).update(
                source=source, html=markdown_render(source)
            )
    for post_id, topic_id in Vote.objects.filter(member=member).values_list(
        "post_id", "post__topic_id"
    ):
        Post.objects.filter(pk=post_id).update(helpful_count=F("helpful_count") - 1)
        Topic.objects.filter(pk=topic_id).update(score=F("score") - 1)
    Vote.objects.filter(member=member).delete()
    Flag.objects.filter(member=member).delete()
    Follow.objects.filter(member=member).delete()
    TopicRead.objects.filter(member=member).delete()
    Notification.objects.filter(member=member).delete()
    PostRevision.objects.filter(post__author=member).delete()
    ForumProfile.objects.filter(member=member).update(
        display_name="",
        email_on_reply=False,
        email_on_mention=False,
        email_on_accepted=False,
        suspension_reason="",
    )


# --- Home card and dashboard ---------------------------------------------------------------------


def home_card(request, member) -> dict[str, Any] | None:
    """Topics the member follows with replies they have not read (at most five)."""
    if not isinstance(member, Member) or member.pk is None:
        return None
    read_at = TopicRead.objects.filter(member=member, topic=OuterRef("pk")).values("last_read_at")[
        :1
    ]
    topics = list(
        Topic.objects.filter(
            Exists(Follow.objects.filter(member=member, topic=OuterRef("pk"))),
            is_hidden=False,
            merged_into=None,
        )
        .annotate(read_at=Subquery(read_at))
        .filter(Q(read_at__isnull=True) | Q(read_at__lt=F("last_post_at")))
        .exclude(author=member, reply_count=0)
        .order_by("-last_post_at")[:5]
    )
    if not topics:
        return None
    return {
        "title": _("Replies to follow"),
        "topics": [{"title": t.title, "url": _url("forums:topic", t.pk)} for t in topics],
        "url": _url("forums:index"),
    }


def dashboard_data(request, period) -> dict[str, Any] | None:
    figures = forum_figures(start=period.start, end=period.end)

    def hours(delta) -> str:
        return "–" if delta is None else f"{delta.total_seconds() / 3600:.1f} h"

    return {
        "figures": [
            {"label": _("Questions asked"), "value": figures.questions},
            {
                "label": _("Questions answered"),
                "value": figures.answered,
                "display": f"{figures.answered} ({figures.answered_share:.0%})",
            },
            {
                "label": _("Questions solved"),
                "value": figures.solved,
                "display": f"{figures.solved} ({figures.solved_share:.0%})",
            },
            {
                "label": _("Median time to a first answer"),
                "value": hours(figures.median_first_answer),
            },
            {
                "label": _("Median time to an accepted answer"),
                "value": hours(figures.median_accepted),
            },
        ],
        "chart": {
            "type": "bar",
            "labels": [week for week, _n in figures.posts_per_week],
            "series": [
                {"name": _("Posts"), "values": [n for _w, n in figures.posts_per_week]},
                {
                    "name": _("Flags"),
                    "values": [
                        dict(figures.flags_per_week).get(week, 0)
                        for week, _n in figures.posts_per_week
                    ],
                },
            ],
        },
        "rows": [
            {"label": row["display_name"], "value": str(row["reputation"])}
            for row in figures.helpers
        ],
        "note": _("Top helpers of the period by accepted answers and helpful votes."),
    }


# How erasing a member treats each forums model (members.gdpr; checked by a model walk).
GDPR_COVERAGE = {
    "forums.Topic": "stays, shown under the anonymous name of the erased member (forum_erase)",
    "forums.Post": "stays, shown under the anonymous name; mentions of the member's display name "
    "in others' posts become @… (forum_erase)",
    "forums.PostRevision": "forum_erase deletes the earlier versions of the member's posts; "
    "edited_by is the author or a moderator",
    "forums.Vote": "forum_erase deletes the member's votes and takes back the counts they made",
    "forums.Flag": "forum_erase deletes the member's flags",
    "forums.ForumProfile": "forum_erase clears the display name",
    "forums.TopicRead": "forum_erase deletes the member's read state",
    "forums.Follow": "forum_erase deletes the member's follows",
    "forums.Notification": "forum_erase deletes the member's notifications",
    "forums.DigestSent": "which digest windows were sent to the member id: no content, "
    "pseudonymous once erased",
}


def register() -> None:
    for label, how in GDPR_COVERAGE.items():
        gdpr_model_covered(label, how)
    portal_nav_register(label=_("Forums"), url_name="forums:index", order=60)
    for order, model in enumerate(
        ["forums.Category", "forums.Topic", "forums.Post", "forums.ForumProfile"], start=30
    ):
        backoffice_model_register(model=model, group="club_life", order=order)
    register_segment_fields()
    badge_metric_register(
        "forum_helpful_answers", _("Helpful forum answers"), helpful_answers_metric
    )
    badge_metric_register(
        "forum_accepted_answers", _("Accepted forum answers"), accepted_answers_metric
    )
    timeline_provider_register(posts_timeline)
    gdpr_exporter_register("forum_posts", posts_export)
    gdpr_exporter_register("forum_activity", forum_activity_export)
    gdpr_eraser_register(forum_erase)
    home_card_register(
        key="forums-replies", template="forums/_home_card.html", context=home_card, order=60
    )
    dashboard_tile_register(
        key="forums",
        title=_("Forums"),
        group="club_life",
        data=dashboard_data,
        permission="forums.view_topic",
        order=30,
    )
