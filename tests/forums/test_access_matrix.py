"""For every action (read, post, edit, delete, accept, vote, flag, moderate) and every role
(anonymous, a login without a membership, a member, the author, the asker, staff, a moderator):
what they may not do is refused through the pages and the API, and nothing is written."""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from forums.models import Flag, Post, PostRevision, Topic, Vote
from forums.services.moderation import post_hide, topic_lock
from tests.members.factories import StaffFactory, UserFactory

from .factories import CategoryFactory, answer, forum_member, moderator_user, question, viewer

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    asker = forum_member(trust_level=1)
    helper = forum_member(trust_level=1)
    other = forum_member(trust_level=1)
    moderator = moderator_user()
    public = CategoryFactory()
    topic = question(author=asker, category=public)
    reply = answer(topic, author=helper, body="Ett bra svar")
    hidden = answer(topic, author=helper, body="Dold reklam")
    post_hide(viewer=viewer(moderator), post=hidden, reason="Reklam")
    staff_category = CategoryFactory(read_access="staff", post_access="staff")
    staff_topic = Topic.objects.create(category=staff_category, title="Intern", author=asker)
    Post.objects.create(topic=staff_topic, number=1, author=asker, source="Hemligt", html="x")
    locked = question(author=asker, category=public, title="Låst fråga")
    topic_lock(viewer=viewer(moderator), topic=locked, locked=True, reason="Klart")
    return {
        "asker": asker.user,
        "helper": helper.user,
        "other": other.user,
        "moderator": moderator,
        "staff": StaffFactory(),
        "no_member": UserFactory(),
        "public": public,
        "topic": topic,
        "reply": reply,
        "hidden": hidden,
        "staff_category": staff_category,
        "staff_topic": staff_topic,
        "locked": locked,
    }


def page_client(client, user):
    if user is not None:
        client.force_login(user)
    return client


def api(user):
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def snapshot():
    return (
        Post.objects.count(),
        Topic.objects.count(),
        Vote.objects.count(),
        Flag.objects.count(),
        PostRevision.objects.count(),
        list(Post.objects.order_by("pk").values_list("is_accepted", "is_hidden", "source")),
        list(Topic.objects.order_by("pk").values_list("is_locked", "is_pinned", "category_id")),
    )


ROLES = ["anonymous", "no_member", "other", "helper", "asker", "staff", "moderator"]


def user_of(world, role):
    return None if role == "anonymous" else world[role]


# --- Read ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_read_staff_only_category(world, client, role):
    user = user_of(world, role)
    url = reverse("forums:topic", args=[world["staff_topic"].pk])
    page = page_client(client, user).get(url)
    response = api(user).get(reverse("api-forum-topic", args=[world["staff_topic"].pk]))
    if role in ("staff", "moderator"):
        assert page.status_code == 200 and response.status_code == 200
    else:
        assert page.status_code in (302, 403, 404)
        assert response.status_code in (401, 403, 404)
        listing = api(user).get(reverse("api-forum-topics"))
        if listing.status_code == 200:
            ids = [t["id"] for t in listing.json()["results"]]
            assert world["staff_topic"].pk not in ids


@pytest.mark.parametrize("role", ROLES)
def test_read_hidden_post(world, client, role):
    user = user_of(world, role)
    page = page_client(client, user).get(reverse("forums:topic", args=[world["topic"].pk]))
    response = api(user).get(reverse("api-forum-topic", args=[world["topic"].pk]))
    sees = role in ("helper", "moderator")  # the author and moderators
    if role in ("anonymous", "no_member"):
        assert page.status_code in (302, 403) and response.status_code in (401, 403)
        return
    assert ("Dold reklam" in page.content.decode()) is sees
    by_id = {p["id"]: p for p in response.json()["posts"]}
    assert (by_id[world["hidden"].pk]["source"] == "Dold reklam") is sees
    search = api(user).get(reverse("api-forum-search"), {"q": "reklam"})
    assert (world["hidden"].pk in [h["post"] for h in search.json()["results"]]) is (
        role == "moderator"
    )


# --- Post ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_post_in_staff_only_category_and_locked_topic(world, client, role):
    user = user_of(world, role)
    before = snapshot()
    page_client(client, user).post(
        reverse("forums:topic-new"),
        {"category": world["staff_category"].slug, "title": "Hej alla", "body": "x"},
    )
    api(user).post(
        reverse("api-forum-topics"),
        {"category": world["staff_category"].slug, "title": "Hej alla", "body": "x"},
        format="json",
    )
    page_client(client, user).post(
        reverse("forums:reply", args=[world["locked"].pk]), {"body": "x"}
    )
    response = api(user).post(
        reverse("api-forum-topic", args=[world["locked"].pk]), {"body": "x"}, format="json"
    )
    if role not in ("moderator",):
        assert response.status_code in (401, 403, 404)
    # Nobody here is a member allowed to post in the staff category; the moderator has no
    # membership to post with.
    assert snapshot() == before


# --- Edit and delete -----------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_edit_and_delete_someone_elses_post(world, client, role):
    user = user_of(world, role)
    reply = world["reply"]
    before = snapshot()
    page_client(client, user).post(reverse("forums:edit", args=[reply.pk]), {"body": "Ändrat"})
    page_client(client, user).post(reverse("forums:delete", args=[reply.pk]))
    edit = api(user).patch(
        reverse("api-forum-post", args=[reply.pk]), {"body": "Ändrat"}, format="json"
    )
    delete = api(user).delete(reverse("api-forum-post", args=[reply.pk]))
    if role == "helper":  # the author, within the edit window: the page edited, then removed
        assert PostRevision.objects.filter(post=reply).exists()
        assert Post.objects.get(pk=reply.pk).is_hidden
        assert edit.status_code == 403 and delete.status_code == 403  # removed: no more
        return
    if role == "moderator":
        assert edit.status_code == 200
        return
    assert edit.status_code in (401, 403, 404) and delete.status_code in (401, 403, 404)
    assert snapshot() == before


# --- Accept --------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_accept_an_answer(world, client, role):
    user = user_of(world, role)
    reply = world["reply"]
    page_client(client, user).post(reverse("forums:accept", args=[reply.pk]))
    response = api(user).post(reverse("api-forum-accept", args=[reply.pk]))
    accepted = Post.objects.get(pk=reply.pk).is_accepted
    if role in ("asker", "moderator"):
        assert accepted and response.status_code == 200
    else:
        assert not accepted and response.status_code in (401, 403, 404)


# --- Vote and flag -------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_vote_and_flag(world, client, role):
    user = user_of(world, role)
    reply, hidden = world["reply"], world["hidden"]
    page_client(client, user).post(reverse("forums:vote", args=[reply.pk]))
    vote = api(user).post(reverse("api-forum-vote", args=[reply.pk]))
    flag = api(user).post(reverse("api-forum-flag", args=[reply.pk]), {"reason": "spam"})
    hidden_vote = api(user).post(reverse("api-forum-vote", args=[hidden.pk]))
    assert hidden_vote.status_code in (401, 403, 404) or role == "moderator"
    if role in ("other", "asker"):
        assert Vote.objects.filter(post=reply, member__user=user).count() == 1
        assert vote.status_code == 400  # the page already voted: once only
        assert flag.status_code == 201
    elif role == "helper":  # their own post
        assert vote.status_code == 403 and flag.status_code == 403
        assert not Vote.objects.exists() and not Flag.objects.filter(post=reply).exists()
    else:
        assert vote.status_code in (401, 403) and flag.status_code in (401, 403)
        assert not Vote.objects.exists() and not Flag.objects.filter(post=reply).exists()


# --- Moderate ------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_moderate(world, client, role):
    user = user_of(world, role)
    reply, topic = world["reply"], world["topic"]
    before = snapshot()
    c = page_client(client, user)
    c.post(reverse("forums:moderate-post", args=[reply.pk, "hide"]), {"reason": "x"})
    c.post(reverse("forums:moderate-topic", args=[topic.pk, "lock"]), {"reason": "x"})
    c.post(reverse("forums:moderate-topic", args=[topic.pk, "pin"]), {"reason": "x"})
    if role == "moderator":
        assert Post.objects.get(pk=reply.pk).is_hidden
        assert Topic.objects.get(pk=topic.pk).is_locked
    else:
        assert snapshot() == before
