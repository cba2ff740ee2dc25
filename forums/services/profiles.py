"""Forum profiles: the display name chosen once, trust levels from forum life and from what the
club knows (membership length, purchases), visits and reading."""

from __future__ import annotations

import datetime
import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from forums.models import ForumProfile, Topic, TopicRead, TrustLevel
from members.models import Member, Purchase

DISPLAY_NAME = re.compile(r"^[\w][\w.\-]{1,28}[\w]$")


def profile_for(*, member: Member) -> ForumProfile:
    """The member's forum profile, created (at the trust the club gives them) on first use."""
    profile = ForumProfile.objects.filter(member=member).first()
    if profile is not None:
        return profile
    try:
        with transaction.atomic():
            return ForumProfile.objects.create(
                member=member, trust_level=club_trust_level(member=member)
            )
    except IntegrityError:
        return ForumProfile.objects.get(member=member)


def profile_lock(*, member: Member) -> ForumProfile:
    """The member's profile row, locked until the transaction ends (every post takes it)."""
    profile_for(member=member)
    return ForumProfile.objects.select_for_update().get(member=member)


def display_name_set(*, member: Member, display_name: str) -> ForumProfile:
    """Choose the display name, once. Letters, digits, '.', '-' and '_', 3–30 characters,
    unique whatever the case."""
    name = (display_name or "").strip()
    if not DISPLAY_NAME.match(name):
        raise ValidationError(
            _("A display name is 3 to 30 letters or digits (and . - _ inside)."),
            code="display_name_invalid",
        )
    with transaction.atomic():
        profile = profile_lock(member=member)
        if profile.display_name:
            raise ValidationError(
                _("Your display name is already chosen and cannot be changed."),
                code="display_name_chosen",
            )
        if ForumProfile.objects.filter(display_name__iexact=name).exists():
            raise ValidationError(
                _("That display name is taken; please choose another."),
                code="display_name_taken",
            )
        profile.display_name = name
        try:
            with transaction.atomic():
                profile.save(update_fields=["display_name"])
        except IntegrityError:
            raise ValidationError(
                _("That display name is taken; please choose another."),
                code="display_name_taken",
            ) from None
    return profile


def notification_preferences_set(
    *, member: Member, reply: bool, mention: bool, accepted: bool
) -> ForumProfile:
    profile = profile_for(member=member)
    profile.email_on_reply, profile.email_on_mention = reply, mention
    profile.email_on_accepted = accepted
    profile.save(update_fields=["email_on_reply", "email_on_mention", "email_on_accepted"])
    return profile


# --- Trust ---------------------------------------------------------------------------------------


def _thresholds(raw: str) -> tuple[int, int, int, int, int]:
    values = [int(v) for v in str(raw).split(",")]
    return tuple((values + [0] * 5)[:5])  # type: ignore[return-value]


def club_trust_level(*, member: Member, now: datetime.datetime | None = None) -> int:
    """What the club's knowledge gives: a long membership with purchases starts at basic, twice
    as long with twice the purchases at member."""
    now = now or timezone.now()
    days = (now - member.joined_at).days
    need_days, need_buys = settings.FORUMS_TRUST_CLUB_DAYS, settings.FORUMS_TRUST_CLUB_PURCHASES
    if days < need_days:
        return TrustLevel.NEW
    purchases = Purchase.objects.filter(member=member, amount__gt=0).count()
    if days >= 2 * need_days and purchases >= 2 * need_buys:
        return TrustLevel.MEMBER
    if purchases >= need_buys:
        return TrustLevel.BASIC
    return TrustLevel.NEW


def forum_trust_level(profile: ForumProfile) -> int:
    level = TrustLevel.NEW
    for candidate, raw in (
        (TrustLevel.BASIC, settings.FORUMS_TRUST_BASIC),
        (TrustLevel.MEMBER, settings.FORUMS_TRUST_MEMBER),
        (TrustLevel.REGULAR, settings.FORUMS_TRUST_REGULAR),
    ):
        read, posts, days, helpful, max_upheld = _thresholds(raw)
        if (
            profile.topics_read >= read
            and profile.post_count >= posts
            and profile.days_visited >= days
            and profile.helpful_received >= helpful
            and profile.flags_upheld <= max_upheld
        ):
            level = candidate
        else:
            break
    return level


def trust_level_review(*, profile: ForumProfile) -> int:
    """Raise the profile's trust to what its forum life or the club gives (never lowers it:
    moderators suspend instead). Saves only when it changes; returns the level."""
    level = max(forum_trust_level(profile), profile.trust_level)
    if level < TrustLevel.MEMBER:
        level = max(level, club_trust_level(member=profile.member))
    if level != profile.trust_level:
        profile.trust_level = level
        ForumProfile.objects.filter(pk=profile.pk).update(trust_level=level)
    return level


# --- Visits and reading --------------------------------------------------------------------------


def topic_mark_read(*, member: Member, topic: Topic, now: datetime.datetime | None = None) -> None:
    """Record that the member has read the topic up to now, and count the day's visit."""
    now = now or timezone.now()
    profile = profile_for(member=member)
    updated = TopicRead.objects.filter(member=member, topic=topic).update(last_read_at=now)
    fields: dict = {}
    if not updated:
        _obj, created = TopicRead.objects.get_or_create(
            member=member, topic=topic, defaults={"last_read_at": now}
        )
        if created:
            fields["topics_read"] = F("topics_read") + 1
    today = timezone.localdate(now)
    if profile.last_visit_on != today:
        fields["days_visited"] = F("days_visited") + 1
        fields["last_visit_on"] = today
    if fields:
        ForumProfile.objects.filter(pk=profile.pk).update(**fields)
        profile.refresh_from_db()
        trust_level_review(profile=profile)
