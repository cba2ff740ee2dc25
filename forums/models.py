"""Forum categories, topics, posts, votes, accepted answers, flags and moderation.

Changed only through `forums.services`; the database keeps the invariants a service could get
wrong under concurrency: one accepted answer per topic, one vote and one flag per member and post,
never a vote on one's own post, a unique display name, a follow of exactly one thing.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from members.models import Member


class Access(models.TextChoices):
    MEMBERS = "members", _("All members")
    TIERS = "tiers", _("Members of some tiers")
    STAFF = "staff", _("Staff only")


class TrustLevel(models.IntegerChoices):
    NEW = 0, _("New")
    BASIC = 1, _("Basic")
    MEMBER = 2, _("Member")
    REGULAR = 3, _("Regular")


class Category(models.Model):
    name = models.CharField(_("name"), max_length=80)
    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    description = models.TextField(_("description"), blank=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    read_access = models.CharField(
        _("who may read"), max_length=10, choices=Access.choices, default=Access.MEMBERS
    )
    read_tiers = models.ManyToManyField(
        "rewards.Tier",
        verbose_name=_("tiers that may read"),
        blank=True,
        related_name="+",
        help_text=_("Used when only members of some tiers may read."),
    )
    post_access = models.CharField(
        _("who may post"), max_length=10, choices=Access.choices, default=Access.MEMBERS
    )
    post_tiers = models.ManyToManyField(
        "rewards.Tier",
        verbose_name=_("tiers that may post"),
        blank=True,
        related_name="+",
        help_text=_("Used when only members of some tiers may post."),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("forum category")
        verbose_name_plural = _("forum categories")
        ordering = ["order", "name"]
        permissions = [("moderate_forum", _("Can moderate the forums"))]

    def __str__(self) -> str:
        return self.name


class Topic(models.Model):
    class Kind(models.TextChoices):
        QUESTION = "question", _("Question")
        DISCUSSION = "discussion", _("Discussion")

    category = models.ForeignKey(
        Category, verbose_name=_("category"), on_delete=models.PROTECT, related_name="topics"
    )
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices, default=Kind.QUESTION)
    title = models.CharField(_("title"), max_length=150)
    author = models.ForeignKey(
        Member, verbose_name=_("asked by"), on_delete=models.PROTECT, related_name="forum_topics"
    )
    language = models.CharField(
        _("language"), max_length=10, choices=settings.LANGUAGES, default="sv"
    )
    is_locked = models.BooleanField(_("locked"), default=False)
    is_pinned = models.BooleanField(_("pinned"), default=False)
    is_hidden = models.BooleanField(_("hidden"), default=False)
    merged_into = models.ForeignKey(
        "self",
        verbose_name=_("merged into"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="merged_topics",
    )
    reply_count = models.PositiveIntegerField(_("replies"), default=0)
    post_count = models.PositiveIntegerField(_("posts"), default=0)
    score = models.IntegerField(_("helpful votes"), default=0)
    last_post_at = models.DateTimeField(_("last post"), default=timezone.now, db_index=True)
    first_answer_at = models.DateTimeField(_("first answer"), null=True, blank=True)
    solved_at = models.DateTimeField(_("solved"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("topic")
        verbose_name_plural = _("topics")
        ordering = ["-is_pinned", "-last_post_at", "-id"]
        indexes = [
            models.Index(fields=["category", "-is_pinned", "-last_post_at"]),
            models.Index(fields=["-is_pinned", "-last_post_at", "-id"], name="forums_topic_latest"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(merged_into=F("id")), name="forums_topic_not_merged_into_itself"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_question(self) -> bool:
        return self.kind == self.Kind.QUESTION

    @property
    def is_solved(self) -> bool:
        return self.solved_at is not None


class Post(models.Model):
    topic = models.ForeignKey(
        Topic, verbose_name=_("topic"), on_delete=models.CASCADE, related_name="posts"
    )
    number = models.PositiveIntegerField(_("number in topic"))
    author = models.ForeignKey(
        Member, verbose_name=_("author"), on_delete=models.PROTECT, related_name="forum_posts"
    )
    source = models.TextField(_("text (Markdown)"))
    html = models.TextField(_("text (rendered)"))
    language = models.CharField(
        _("language"), max_length=10, choices=settings.LANGUAGES, default="sv"
    )
    is_hidden = models.BooleanField(_("hidden"), default=False, db_index=True)
    hidden_reason = models.CharField(_("why hidden"), max_length=300, blank=True)
    is_accepted = models.BooleanField(_("accepted answer"), default=False)
    accepted_at = models.DateTimeField(_("accepted"), null=True, blank=True)
    rewarded = models.BooleanField(
        _("reputation given"),
        default=False,
        help_text=_("Reputation for an accepted answer is given once, however often accepted."),
    )
    helpful_count = models.PositiveIntegerField(_("helpful votes"), default=0)
    flag_weight = models.PositiveIntegerField(_("flag weight"), default=0)
    edited_at = models.DateTimeField(_("edited"), null=True, blank=True)
    created_at = models.DateTimeField(_("posted"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("post")
        verbose_name_plural = _("posts")
        ordering = ["topic", "number"]
        constraints = [
            models.UniqueConstraint(fields=["topic", "number"], name="forums_post_number_uniq"),
            models.UniqueConstraint(
                fields=["topic"],
                condition=Q(is_accepted=True),
                name="forums_post_one_accepted_per_topic",
            ),
            models.CheckConstraint(
                condition=Q(is_accepted=False) | Q(number__gt=1),
                name="forums_post_question_not_accepted",
            ),
        ]
        indexes = [models.Index(fields=["author", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.topic} #{self.number}"

    @property
    def is_first(self) -> bool:
        return self.number == 1


class PostRevision(models.Model):
    """A post as it was before an edit (the author's or a moderator's)."""

    post = models.ForeignKey(
        Post, verbose_name=_("post"), on_delete=models.CASCADE, related_name="revisions"
    )
    source = models.TextField(_("text (Markdown)"))
    html = models.TextField(_("text (rendered)"))
    title = models.CharField(_("title"), max_length=150, blank=True)
    edited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("edited by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("replaced"), default=timezone.now)

    class Meta:
        verbose_name = _("post revision")
        verbose_name_plural = _("post revisions")
        ordering = ["post", "-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.post} ({self.created_at:%Y-%m-%d %H:%M})"


class Vote(models.Model):
    """A helpful vote: one per member and post, never on one's own post (checked by the
    database through the post's author, copied here)."""

    post = models.ForeignKey(
        Post, verbose_name=_("post"), on_delete=models.CASCADE, related_name="votes"
    )
    member = models.ForeignKey(
        Member, verbose_name=_("member"), on_delete=models.CASCADE, related_name="forum_votes"
    )
    post_author = models.ForeignKey(
        Member, verbose_name=_("post author"), on_delete=models.CASCADE, related_name="+"
    )
    created_at = models.DateTimeField(_("voted"), default=timezone.now)

    class Meta:
        verbose_name = _("helpful vote")
        verbose_name_plural = _("helpful votes")
        constraints = [
            models.UniqueConstraint(fields=["post", "member"], name="forums_vote_once"),
            models.CheckConstraint(
                condition=~Q(member=F("post_author")), name="forums_vote_not_own"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.member_id} → {self.post_id}"


class Flag(models.Model):
    class Reason(models.TextChoices):
        SPAM = "spam", _("Spam or advertising")
        RUDE = "rude", _("Rude or abusive")
        OFF_TOPIC = "off_topic", _("Off topic")
        OTHER = "other", _("Something else")

    class Outcome(models.TextChoices):
        OPEN = "open", _("Waiting for a moderator")
        UPHELD = "upheld", _("Upheld")
        DISMISSED = "dismissed", _("Dismissed")

    post = models.ForeignKey(
        Post, verbose_name=_("post"), on_delete=models.CASCADE, related_name="flags"
    )
    member = models.ForeignKey(
        Member, verbose_name=_("flagged by"), on_delete=models.CASCADE, related_name="forum_flags"
    )
    reason = models.CharField(_("reason"), max_length=12, choices=Reason.choices)
    note = models.CharField(_("note"), max_length=500, blank=True)
    weight = models.PositiveSmallIntegerField(_("weight"), default=1)
    outcome = models.CharField(
        _("outcome"), max_length=10, choices=Outcome.choices, default=Outcome.OPEN
    )
    created_at = models.DateTimeField(_("flagged"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("flag")
        verbose_name_plural = _("flags")
        constraints = [
            models.UniqueConstraint(fields=["post", "member"], name="forums_flag_once"),
        ]

    def __str__(self) -> str:
        return f"{self.get_reason_display()}: {self.post}"


class ForumProfile(models.Model):
    """A member's life in the forums: display name, trust, reputation, suspension, counters and
    e-mail preferences. Its row is locked by every post, so rate limits hold under concurrency."""

    member = models.OneToOneField(
        Member,
        verbose_name=_("member"),
        primary_key=True,
        on_delete=models.CASCADE,
        related_name="forum_profile",
    )
    display_name = models.CharField(
        _("display name"),
        max_length=30,
        blank=True,
        help_text=_("Chosen once; shown instead of the member's real name."),
    )
    trust_level = models.PositiveSmallIntegerField(
        _("trust level"), choices=TrustLevel.choices, default=TrustLevel.NEW
    )
    reputation = models.IntegerField(_("reputation"), default=0, db_index=True)
    is_expert = models.BooleanField(
        _("expert"), default=False, help_text=_("Shown with an expert badge beside their name.")
    )
    suspended_until = models.DateTimeField(_("suspended until"), null=True, blank=True)
    suspension_reason = models.CharField(_("why suspended"), max_length=300, blank=True)
    post_count = models.PositiveIntegerField(_("posts"), default=0)
    topic_count = models.PositiveIntegerField(_("topics"), default=0)
    accepted_count = models.PositiveIntegerField(_("accepted answers"), default=0)
    helpful_received = models.PositiveIntegerField(_("helpful votes received"), default=0)
    flags_upheld = models.PositiveIntegerField(_("flags upheld"), default=0)
    topics_read = models.PositiveIntegerField(_("topics read"), default=0)
    days_visited = models.PositiveIntegerField(_("days visited"), default=0)
    last_visit_on = models.DateField(_("last visit"), null=True, blank=True)
    first_post_at = models.DateTimeField(_("first post"), null=True, blank=True)
    last_post_at = models.DateTimeField(_("last post"), null=True, blank=True)
    email_on_reply = models.BooleanField(_("e-mail me about replies"), default=True)
    email_on_mention = models.BooleanField(_("e-mail me when mentioned"), default=True)
    email_on_accepted = models.BooleanField(_("e-mail me when my answer is accepted"), default=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("forum profile")
        verbose_name_plural = _("forum profiles")
        constraints = [
            models.UniqueConstraint(
                Lower("display_name"),
                condition=~Q(display_name=""),
                name="forums_display_name_uniq_ci",
            ),
        ]

    def __str__(self) -> str:
        return self.display_name or str(self.member_id)

    def is_suspended(self, now=None) -> bool:
        return self.suspended_until is not None and self.suspended_until > (now or timezone.now())


class TopicRead(models.Model):
    member = models.ForeignKey(
        Member, verbose_name=_("member"), on_delete=models.CASCADE, related_name="+"
    )
    topic = models.ForeignKey(
        Topic, verbose_name=_("topic"), on_delete=models.CASCADE, related_name="reads"
    )
    last_read_at = models.DateTimeField(_("last read"), default=timezone.now)

    class Meta:
        verbose_name = _("topic read")
        verbose_name_plural = _("topics read")
        constraints = [
            models.UniqueConstraint(fields=["member", "topic"], name="forums_read_once"),
        ]

    def __str__(self) -> str:
        return f"{self.member_id} read {self.topic_id}"


class Follow(models.Model):
    """A member follows a topic or a category (exactly one of them)."""

    member = models.ForeignKey(
        Member, verbose_name=_("member"), on_delete=models.CASCADE, related_name="forum_follows"
    )
    topic = models.ForeignKey(
        Topic,
        verbose_name=_("topic"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="follows",
    )
    category = models.ForeignKey(
        Category,
        verbose_name=_("category"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="follows",
    )
    created_at = models.DateTimeField(_("since"), default=timezone.now)

    class Meta:
        verbose_name = _("follow")
        verbose_name_plural = _("follows")
        constraints = [
            models.CheckConstraint(
                condition=Q(topic__isnull=True, category__isnull=False)
                | Q(topic__isnull=False, category__isnull=True),
                name="forums_follow_one_thing",
            ),
            models.UniqueConstraint(
                fields=["member", "topic"],
                condition=Q(topic__isnull=False),
                name="forums_follow_topic_once",
            ),
            models.UniqueConstraint(
                fields=["member", "category"],
                condition=Q(category__isnull=False),
                name="forums_follow_category_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.member_id} follows {self.topic_id or self.category_id}"


class Notification(models.Model):
    """Something a member should hear about (a reply, a mention, an accepted answer); sent by
    e-mail in a digest, at most one per member per FORUMS_DIGEST_MINUTES."""

    class Kind(models.TextChoices):
        REPLY = "reply", _("Reply")
        MENTION = "mention", _("Mention")
        ACCEPTED = "accepted", _("Answer accepted")

    member = models.ForeignKey(
        Member, verbose_name=_("member"), on_delete=models.CASCADE, related_name="+"
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    post = models.ForeignKey(
        Post, verbose_name=_("post"), on_delete=models.CASCADE, related_name="notifications"
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    emailed_at = models.DateTimeField(_("e-mailed"), null=True, blank=True)

    class Meta:
        verbose_name = _("forum notification")
        verbose_name_plural = _("forum notifications")
        constraints = [
            models.UniqueConstraint(
                fields=["member", "kind", "post"], name="forums_notification_once"
            ),
        ]
        indexes = [
            models.Index(
                fields=["member", "created_at"],
                condition=Q(emailed_at__isnull=True),
                name="forums_notification_due",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} → {self.member_id}"


class DigestSent(models.Model):
    """One forum e-mail per member and digest window: the unique key that keeps a busy topic
    from sending more than one e-mail per FORUMS_DIGEST_MINUTES, however often the task runs."""

    member = models.ForeignKey(
        Member, verbose_name=_("member"), on_delete=models.CASCADE, related_name="+"
    )
    window = models.PositiveBigIntegerField(
        _("window"), help_text=_("The digest window: minutes since 1970 divided by the interval.")
    )
    notifications = models.PositiveIntegerField(_("notifications"), default=0)
    created_at = models.DateTimeField(_("sent"), default=timezone.now)

    class Meta:
        verbose_name = _("forum digest")
        verbose_name_plural = _("forum digests")
        constraints = [
            models.UniqueConstraint(fields=["member", "window"], name="forums_digest_once"),
        ]

    def __str__(self) -> str:
        return f"{self.member_id} @ {self.window}"
