import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.test import override_settings
from django.utils import timezone

from core.models import AuditLogEntry, OutgoingEmail
from forums.models import Flag, ForumProfile, Notification, Post, PostRevision, Topic, Vote
from forums.services.answers import answer_accept, answer_unaccept, vote_add, vote_remove
from forums.services.moderation import (
    flag_create,
    member_suspend,
    post_hide,
    post_restore,
    topic_lock,
    topic_merge,
    topic_move,
    topic_pin,
)
from forums.services.posting import post_delete, post_edit, reply_create, topic_create
from forums.services.profiles import display_name_set, profile_for
from rewards.models import Activity, ActivityRule, PointsEntry
from tests.members.factories import MemberFactory

from .factories import CategoryFactory, answer, forum_member, moderator_user, question, viewer

pytestmark = pytest.mark.django_db


def test_a_question_and_an_answer_render_markdown_and_count():
    topic = question(body="**Hej** <script>alert(1)</script>")
    post = topic.posts.get()
    assert "<strong>Hej</strong>" in post.html
    assert "<script>" not in post.html
    reply = answer(topic)
    topic.refresh_from_db()
    assert (topic.post_count, topic.reply_count, reply.number) == (2, 1, 2)
    assert topic.first_answer_at == reply.created_at


def test_accepting_an_answer_gives_reputation_and_points_once():
    ActivityRule.objects.create(activity=Activity.FORUM_ANSWER_ACCEPTED, points=50)
    topic = question()
    helper = forum_member(trust_level=2)
    reply = answer(topic, author=helper)
    asker = viewer(topic.author)
    for _round in range(3):
        answer_accept(viewer=asker, post=reply)
        answer_unaccept(viewer=asker, post=reply)
    answer_accept(viewer=asker, post=reply)
    profile = ForumProfile.objects.get(member=helper)
    assert profile.reputation == 15 and profile.accepted_count == 1
    assert PointsEntry.objects.filter(member=helper, kind="earn").count() == 1
    topic.refresh_from_db()
    assert topic.solved_at is not None
    assert Notification.objects.filter(member=helper, kind="accepted").count() == 1


def test_one_accepted_answer_per_topic_is_enforced_by_the_database():
    topic = question()
    first, second = answer(topic), answer(topic)
    answer_accept(viewer=viewer(topic.author), post=first)
    answer_accept(viewer=viewer(topic.author), post=second)
    assert list(Post.objects.filter(is_accepted=True)) == [second]
    with pytest.raises(IntegrityError):
        Post.objects.filter(pk=first.pk).update(is_accepted=True)


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        ("discussion", "Only answers to questions"),
        ("other_asker", "Only the member who asked"),
        ("question_itself", "question itself"),
    ],
)
def test_bad_accepts_are_refused_with_a_message(setup, message):
    kind = "discussion" if setup == "discussion" else "question"
    topic = question(kind=kind)
    reply = answer(topic)
    who = viewer(topic.author) if setup != "other_asker" else viewer(forum_member())
    post = topic.posts.get(number=1) if setup == "question_itself" else reply
    with pytest.raises(ValidationError) as refused:
        answer_accept(viewer=who, post=post)
    assert message in refused.value.messages[0]
    assert not Post.objects.filter(is_accepted=True).exists()


def test_a_moderator_may_accept_for_the_asker():
    topic = question()
    reply = answer(topic)
    answer_accept(viewer=viewer(moderator_user()), post=reply)
    assert Post.objects.get(pk=reply.pk).is_accepted
    assert AuditLogEntry.objects.filter(action="forums.answer_accepted").exists()


def test_votes_once_never_own():
    topic = question()
    reply = answer(topic)
    voter = viewer(forum_member())
    vote_add(viewer=voter, post=reply)
    with pytest.raises(ValidationError, match="already voted"):
        vote_add(viewer=voter, post=reply)
    with pytest.raises(ValidationError, match="your own post"):
        vote_add(viewer=viewer(reply.author), post=reply)
    assert Vote.objects.count() == 1
    assert Post.objects.get(pk=reply.pk).helpful_count == 1
    assert ForumProfile.objects.get(member=reply.author).reputation == 5
    vote_remove(viewer=voter, post=reply)
    assert Post.objects.get(pk=reply.pk).helpful_count == 0
    with pytest.raises(IntegrityError):
        Vote.objects.create(post=reply, member=reply.author, post_author=reply.author)


def test_flags_weighted_by_trust_hide_a_post_and_tell_the_author():
    topic = question()
    reply = answer(topic)
    flag_create(viewer=viewer(forum_member(trust_level=1)), post=reply, reason="spam")
    assert not Post.objects.get(pk=reply.pk).is_hidden  # weight 2 < 3
    flagger = viewer(forum_member(trust_level=1))
    flag_create(viewer=flagger, post=reply, reason="rude")
    hidden = Post.objects.get(pk=reply.pk)
    assert hidden.is_hidden and hidden.flag_weight == 4
    assert OutgoingEmail.objects.filter(recipients=reply.author.email).exists()
    with pytest.raises(ValidationError, match="already flagged"):
        flag_create(viewer=flagger, post=reply, reason="spam")
    assert Flag.objects.count() == 2


def test_new_members_cannot_flag():
    reply = answer(question())
    with pytest.raises(ValidationError, match="longer"):
        flag_create(viewer=viewer(forum_member(trust_level=0)), post=reply, reason="spam")


def test_moderation_is_audited_and_the_member_told_in_their_language():
    topic = question()
    reply = answer(topic, author=forum_member(language="en"))
    moderator = viewer(moderator_user())
    post_hide(viewer=moderator, post=reply, reason="Reklam")
    assert Post.objects.get(pk=reply.pk).is_hidden
    email = OutgoingEmail.objects.filter(recipients=reply.author.email).latest("id")
    assert email.subject == "Your forum post was hidden"
    assert "Reklam" in email.payload["body"]
    post_restore(viewer=moderator, post=reply)
    assert not Post.objects.get(pk=reply.pk).is_hidden
    other = CategoryFactory()
    topic_move(viewer=moderator, topic=topic, category=other, reason="Fel kategori")
    topic_lock(viewer=moderator, topic=topic, locked=True, reason="Klart")
    topic_pin(viewer=moderator, topic=topic, pinned=True)
    topic.refresh_from_db()
    assert (topic.category, topic.is_locked, topic.is_pinned) == (other, True, True)
    actions = set(AuditLogEntry.objects.values_list("action", flat=True))
    assert {
        "forums.post_hidden",
        "forums.post_restored",
        "forums.topic_moved",
        "forums.topic_locked",
        "forums.topic_pinned",
    } <= actions
    swedish = OutgoingEmail.objects.filter(recipients=topic.author.email).latest("id")
    assert swedish.subject == "Ditt forumämne låstes"


def test_a_moderator_must_give_a_reason_and_members_cannot_moderate():
    reply = answer(question())
    with pytest.raises(ValidationError, match="reason"):
        post_hide(viewer=viewer(moderator_user()), post=reply, reason="  ")
    with pytest.raises(ValidationError, match="moderators"):
        post_hide(viewer=viewer(forum_member(trust_level=3)), post=reply, reason="x")
    assert not Post.objects.get(pk=reply.pk).is_hidden


def test_merge_moves_the_posts_after_the_target_posts():
    target = question(title="Hur impregnerar jag skor?")
    answer(target)
    duplicate = question(title="Impregnera skor, hur?")
    answer(duplicate)
    merged = topic_merge(
        viewer=viewer(moderator_user()), topic=duplicate, into=target, reason="Dubblett"
    )
    assert list(merged.posts.values_list("number", flat=True)) == [1, 2, 3, 4]
    duplicate.refresh_from_db()
    assert duplicate.merged_into == target and duplicate.is_locked


def test_a_suspended_member_is_told_when_they_may_post_again():
    member = forum_member()
    until = timezone.now() + datetime.timedelta(days=3)
    member_suspend(viewer=viewer(moderator_user()), member=member, until=until, reason="Spam")
    with pytest.raises(ValidationError, match="Spam"):
        question(author=member)
    assert not Topic.objects.exists()


def test_edits_keep_history_and_end_with_the_window():
    topic = question()
    post = topic.posts.get()
    author = viewer(topic.author)
    post_edit(viewer=author, post=post, source="Ny text", title="Hur sköter jag mockaskor?")
    revision = PostRevision.objects.get()
    assert revision.source == "Tips?" and revision.title == "Hur sköter jag läderskorna?"
    topic.refresh_from_db()
    assert topic.title == "Hur sköter jag mockaskor?"
    Post.objects.filter(pk=post.pk).update(created_at=timezone.now() - datetime.timedelta(hours=2))
    post.refresh_from_db()
    with pytest.raises(ValidationError, match="60 minutes"):
        post_edit(viewer=author, post=post, source="För sent")
    assert Post.objects.get(pk=post.pk).source == "Ny text"


def test_a_moderator_edit_is_recorded_and_told():
    reply = answer(question())
    post_edit(viewer=viewer(moderator_user()), post=reply, source="Städat", reason="Svordomar")
    assert PostRevision.objects.filter(post=reply).exists()
    assert AuditLogEntry.objects.filter(action="forums.post_edited").exists()


def test_delete_hides_the_post():
    reply = answer(question())
    post_delete(viewer=viewer(reply.author), post=reply)
    assert Post.objects.get(pk=reply.pk).is_hidden
    with pytest.raises(ValidationError):
        post_delete(viewer=viewer(forum_member()), post=answer(question()))


@pytest.mark.parametrize(
    ("title", "body", "code"),
    [
        ("", "Text", "title_empty"),
        ("     ", "Text", "title_empty"),
        ("😀😀😀😀", "Text", "title_no_words"),
        ("Giltig titel", "", "body_empty"),
        ("Giltig titel", "   \n  ", "body_empty"),
        ("Giltig titel", "x" * 1_000_000, "body_too_long"),
    ],
)
def test_bad_topics_are_refused_and_nothing_is_written(title, body, code):
    author = forum_member()
    with pytest.raises(ValidationError) as refused:
        topic_create(viewer=viewer(author), category=CategoryFactory(), title=title, source=body)
    assert refused.value.code == code
    assert not Topic.objects.exists() and not Post.objects.exists()


def test_locked_topics_and_closed_categories_refuse_posts():
    topic = question()
    topic_lock(viewer=viewer(moderator_user()), topic=topic, locked=True, reason="Klart")
    topic.refresh_from_db()
    with pytest.raises(ValidationError, match="locked"):
        reply_create(viewer=viewer(forum_member()), topic=topic, source="Hej")
    staff_only = CategoryFactory(post_access="staff")
    with pytest.raises(ValidationError, match="may not post"):
        topic_create(
            viewer=viewer(forum_member()), category=staff_only, title="Hej hej", source="x"
        )
    assert Post.objects.count() == 1


def test_display_name_is_chosen_once_and_unique():
    member = MemberFactory()
    display_name_set(member=member, display_name="Skomakaren")
    with pytest.raises(ValidationError, match="cannot be changed"):
        display_name_set(member=member, display_name="Annat")
    with pytest.raises(ValidationError, match="taken"):
        display_name_set(member=MemberFactory(), display_name="skomakaren")
    with pytest.raises(ValidationError, match="3 to 30"):
        display_name_set(member=MemberFactory(), display_name="😀")


def test_posting_needs_a_display_name():
    member = forum_member()
    ForumProfile.objects.filter(member=member).update(display_name="")
    with pytest.raises(ValidationError, match="display name"):
        question(author=member)


def test_mentions_and_follows_notify():
    mentioned = forum_member(display_name="Lisa_K")
    topic = question()
    follower = forum_member()
    from forums.services.notifications import follow_topic

    follow_topic(member=follower, topic=topic)
    answer(topic, body="Fråga @lisa_k, hon vet!")
    kinds = dict(Notification.objects.values_list("member_id", "kind"))
    assert kinds[mentioned.pk] == "mention"
    assert kinds[follower.pk] == "reply"
    assert kinds[topic.author_id] == "reply"


@pytest.mark.limits
@override_settings(FORUMS_LIMIT_SECONDS_BETWEEN="60,0,0,0")
def test_a_new_member_waits_between_posts_and_is_told_until_when():
    member = forum_member(trust_level=0)
    topic = question(author=member)
    with pytest.raises(ValidationError, match="post again at") as refused:
        reply_create(viewer=viewer(member), topic=topic, source="Igen")
    assert refused.value.code == "rate_limited"
    assert Post.objects.count() == 1


@pytest.mark.limits
@override_settings(FORUMS_LIMIT_FIRST_DAY_TOPICS="1,5,5,5", FORUMS_LIMIT_SECONDS_BETWEEN="0,0,0,0")
def test_first_day_topic_limit():
    member = forum_member(trust_level=0)
    question(author=member)
    with pytest.raises(ValidationError, match="post again"):
        question(author=member, title="En fråga till")
    assert Topic.objects.count() == 1


@override_settings(FORUMS_LIMIT_LINKS="1,1,1,1", FORUMS_LIMIT_IMAGES="0,0,0,0")
def test_links_and_images_per_post_are_limited():
    member = forum_member(trust_level=0)
    body = "[a](https://a.se) [b](https://b.se)"
    with pytest.raises(ValidationError, match="links"):
        question(author=member, body=body)
    with pytest.raises(ValidationError, match="images"):
        question(author=member, body="![bild](/media/forum/a.png)")
    assert not Topic.objects.exists()


def test_profiles_start_higher_with_club_history():
    from members.models import Purchase
    from tests.members.factories import StoreFactory

    member = MemberFactory(joined_at=timezone.now() - datetime.timedelta(days=400))
    store = StoreFactory()
    for i in range(6):
        Purchase.objects.create(
            member=member,
            store=store,
            channel="store",
            amount=100,
            external_id=f"k{i}",
            purchased_at=timezone.now(),
            source="test",
        ) if False else None
    assert profile_for(member=member).trust_level == 0
    assert profile_for(member=MemberFactory()).trust_level == 0
