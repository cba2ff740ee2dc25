import pytest
from django.urls import reverse

from forums.models import Flag, Post, Topic, Vote
from forums.services.moderation import post_hide, topic_lock
from tests.members.factories import StaffFactory, UserFactory

from .factories import CategoryFactory, answer, forum_member, moderator_user, question, viewer

pytestmark = pytest.mark.django_db


def login(client, member_or_user):
    client.force_login(getattr(member_or_user, "user", member_or_user))
    return client


def test_pages_render_for_a_member(client):
    topic = question(body="**Fet** text")
    answer(topic)
    login(client, forum_member())
    for url in [
        reverse("forums:index"),
        reverse("forums:topics"),
        reverse("forums:topics") + "?sort=top",
        reverse("forums:topics") + "?sort=unanswered",
        reverse("forums:topics") + "?sort=solved",
        reverse("forums:category", args=[topic.category.slug]),
        reverse("forums:topic", args=[topic.pk]),
        reverse("forums:topic-new"),
        reverse("forums:helpers"),
        reverse("forums:profile"),
        reverse("forums:search") + "?q=text",
    ]:
        response = client.get(url)
        assert response.status_code == 200, url
    assert b"<strong>Fet</strong>" in client.get(reverse("forums:topic", args=[topic.pk])).content


def test_anonymous_visitors_are_sent_to_log_in(client):
    topic = question()
    response = client.get(reverse("forums:topic", args=[topic.pk]))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_a_login_without_a_member_cannot_read(client):
    question()
    login(client, UserFactory())
    assert client.get(reverse("forums:topics")).status_code == 403


def test_posting_a_topic_and_a_reply_through_the_pages(client):
    category = CategoryFactory()
    member = forum_member()
    login(client, member)
    response = client.post(
        reverse("forums:topic-new"),
        {"category": category.slug, "kind": "question", "title": "Vilken storlek?", "body": "Hej"},
    )
    topic = Topic.objects.get()
    assert response.status_code == 302
    response = client.post(reverse("forums:reply", args=[topic.pk]), {"body": "Svar"})
    assert response.status_code == 302
    assert topic.posts.count() == 2


def test_a_member_without_a_display_name_chooses_one_first(client):
    member = forum_member()
    member.forum_profile.display_name = ""
    member.forum_profile.save()
    login(client, member)
    response = client.get(reverse("forums:topic-new"))
    assert response.status_code == 302 and reverse("forums:profile") in response["Location"]
    response = client.post(reverse("forums:profile"), {"display_name": "Nyfiken"})
    assert response.status_code == 302
    member.forum_profile.refresh_from_db()
    assert member.forum_profile.display_name == "Nyfiken"


@pytest.mark.parametrize(
    ("title", "body", "message"),
    [
        ("   ", "Text", "Please give the topic a title."),
        ("🙂🙂🙂🙂", "Text", "at least three letters"),
        ("En titel", "", "Please write something"),
        ("En titel", "x" * 1_000_000, "at most 20000 characters"),
    ],
)
def test_bad_topics_through_the_page_show_a_message_and_write_nothing(client, title, body, message):
    category = CategoryFactory()
    login(client, forum_member())
    response = client.post(
        reverse("forums:topic-new"),
        {"category": category.slug, "kind": "question", "title": title, "body": body},
    )
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Topic.objects.exists()


def test_messages_are_in_swedish_for_swedish_members(client):
    category = CategoryFactory()
    login(client, forum_member())
    response = client.post(
        reverse("forums:topic-new"),
        {"category": category.slug, "kind": "question", "title": "  ", "body": "x"},
        HTTP_ACCEPT_LANGUAGE="sv",
    )
    assert "Ge ämnet en rubrik." in response.content.decode()


def test_vote_and_accept_with_htmx_and_without(client):
    topic = question()
    reply = answer(topic)
    login(client, forum_member())
    response = client.post(reverse("forums:vote", args=[reply.pk]), HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and f'id="post-{reply.pk}"' in response.content.decode()
    assert Vote.objects.count() == 1
    response = client.post(reverse("forums:vote", args=[reply.pk]), {"action": "remove"})
    assert response.status_code == 302 and Vote.objects.count() == 0
    login(client, topic.author)
    response = client.post(reverse("forums:accept", args=[reply.pk]), HTTP_HX_REQUEST="true")
    assert response.status_code == 204 and response["HX-Refresh"] == "true"
    assert Post.objects.get(pk=reply.pk).is_accepted
    page = client.get(reverse("forums:topic", args=[topic.pk])).content.decode()
    assert page.index("accepted-title") < page.index("replies-title")


def test_voting_on_ones_own_post_is_refused_with_a_message(client):
    topic = question()
    reply = answer(topic)
    login(client, reply.author)
    response = client.post(reverse("forums:vote", args=[reply.pk]), HTTP_HX_REQUEST="true")
    assert response.status_code == 400 and b"own post" in response.content
    assert not Vote.objects.exists()


def test_flagging_twice_is_refused(client):
    reply = answer(question())
    login(client, forum_member(trust_level=1))
    url = reverse("forums:flag", args=[reply.pk])
    assert client.post(url, {"reason": "spam"}).status_code == 302
    response = client.post(url, {"reason": "spam"})
    assert response.status_code == 400 and b"already flagged" in response.content
    assert Flag.objects.count() == 1


def test_preview_renders_sanitised(client):
    login(client, forum_member())
    response = client.post(reverse("forums:preview"), {"body": "<img src=x onerror=alert(1)>"})
    assert b"&lt;img src=x onerror=alert(1)&gt;" in response.content  # shown as text only
    assert b"<img" not in response.content


def test_quote_prefills_the_reply(client):
    topic = question(body="Rad ett")
    login(client, forum_member())
    post = topic.posts.get()
    response = client.get(reverse("forums:topic", args=[topic.pk]) + f"?quote={post.pk}")
    assert "&gt; Rad ett" in response.content.decode()


def test_unread_state(client):
    topic = question()
    member = forum_member()
    login(client, member)
    assert b"forum-topic--unread" in client.get(reverse("forums:topics")).content
    client.get(reverse("forums:topic", args=[topic.pk]))
    assert b"forum-topic--unread" not in client.get(reverse("forums:topics")).content
    answer(topic)
    assert b"forum-topic--unread" in client.get(reverse("forums:topics")).content


def test_every_state_change_is_a_post_with_csrf(client):
    from django.test import Client

    topic = question()
    reply = answer(topic)
    strict = Client(enforce_csrf_checks=True)
    login(strict, forum_member())
    for url in [
        reverse("forums:vote", args=[reply.pk]),
        reverse("forums:accept", args=[reply.pk]),
        reverse("forums:reply", args=[topic.pk]),
        reverse("forums:delete", args=[reply.pk]),
        reverse("forums:follow", args=[topic.pk]),
    ]:
        assert strict.post(url, {"body": "x"}).status_code == 403, url
        assert strict.get(url).status_code in (405, 403), url


QUERIES: list = []


def test_list_and_topic_pages_have_constant_queries(client, django_assert_max_num_queries):
    category = CategoryFactory()
    member = forum_member()
    login(client, member)
    topic = question(category=category)
    answer(topic)
    client.get(reverse("forums:topics"))
    client.get(reverse("forums:topic", args=[topic.pk]))  # the first visit records the read

    def count(url):
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        QUERIES[:] = [q["sql"][:150] for q in captured.captured_queries]
        return len(captured)

    list_few = count(reverse("forums:topics"))
    topic_few = count(reverse("forums:topic", args=[topic.pk]))
    for i in range(8):
        other = question(category=category, title=f"Fråga nummer {i}")
        answer(other)
        answer(topic, author=forum_member(trust_level=2))
    assert count(reverse("forums:topics")) == list_few, QUERIES
    assert count(reverse("forums:topic", args=[topic.pk])) == topic_few, "\n".join(QUERIES)
    with django_assert_max_num_queries(25):
        client.get(reverse("forums:topics"))


def test_moderator_pages(client):
    topic = question()
    reply = answer(topic)
    login(client, moderator_user())
    page = client.get(reverse("forums:topic", args=[topic.pk])).content.decode()
    assert "Moderate this topic" in page
    response = client.post(
        reverse("forums:moderate-post", args=[reply.pk, "hide"]), {"reason": "Reklam"}
    )
    assert response.status_code == 302 and Post.objects.get(pk=reply.pk).is_hidden
    client.post(reverse("forums:moderate-topic", args=[topic.pk, "lock"]), {"reason": "Klart"})
    assert Topic.objects.get(pk=topic.pk).is_locked


def test_staff_without_the_moderator_role_cannot_moderate(client):
    reply = answer(question())
    login(client, StaffFactory())
    response = client.post(
        reverse("forums:moderate-post", args=[reply.pk, "hide"]), {"reason": "x"}
    )
    assert response.status_code == 403
    assert not Post.objects.get(pk=reply.pk).is_hidden


def test_hidden_posts_and_locked_topics_in_pages(client):
    topic = question()
    reply = answer(topic, body="Hemlig reklam")
    post_hide(viewer=viewer(moderator_user()), post=reply, reason="Reklam")
    other = forum_member()
    login(client, other)
    page = client.get(reverse("forums:topic", args=[topic.pk])).content.decode()
    assert "Hemlig reklam" not in page and "This post is hidden." in page
    login(client, reply.author)
    assert "Hemlig reklam" in client.get(reverse("forums:topic", args=[topic.pk])).content.decode()
    topic_lock(viewer=viewer(moderator_user()), topic=topic, locked=True, reason="Klart")
    login(client, other)
    response = client.post(reverse("forums:reply", args=[topic.pk]), {"body": "Hej"})
    assert response.status_code == 400 and b"locked" in response.content
    assert topic.posts.count() == 2


def test_topic_lists_paginate_without_counting(client):
    from forums.models import Topic as TopicModel

    topic = question()
    TopicModel.objects.bulk_create(
        [
            TopicModel(category=topic.category, title=f"Fråga {i}", author=topic.author)
            for i in range(30)
        ]
    )
    login(client, forum_member())
    first = client.get(reverse("forums:topics")).content.decode()
    assert "page=2" in first and "Page 1" in first
    second = client.get(reverse("forums:topics") + "?sort=latest&page=2").content.decode()
    assert second.count('<li class="forum-topic') == 6 and "page=3" not in second
    assert client.get(reverse("forums:topics") + "?page=x").status_code == 200


def test_following_a_category_brings_its_new_topics(client):
    from forums.models import Follow, Notification

    category = CategoryFactory()
    member = forum_member()
    login(client, member)
    response = client.post(reverse("forums:category-follow", args=[category.slug]))
    assert response.status_code == 302 and Follow.objects.filter(category=category).exists()
    assert (
        "Stop following this category"
        in client.get(reverse("forums:category", args=[category.slug])).content.decode()
    )
    topic = question(category=category)
    assert Notification.objects.filter(member=member, post__topic=topic, kind="reply").exists()
    client.post(reverse("forums:category-follow", args=[category.slug]), {"action": "stop"})
    assert not Follow.objects.filter(category=category).exists()
    staff_only = CategoryFactory(read_access="staff")
    assert client.post(reverse("forums:category-follow", args=[staff_only.slug])).status_code == 404
