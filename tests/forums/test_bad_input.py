"""The issue's bad input, each refused with a clear message in the member's language (Swedish
here), nothing written."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone, translation

from forums.models import Flag, Post, PostRevision, Topic, Vote
from forums.services.answers import answer_accept, vote_add
from forums.services.moderation import flag_create, topic_lock
from forums.services.posting import post_edit, reply_create, topic_create

from .factories import CategoryFactory, answer, forum_member, moderator_user, question, viewer

pytestmark = pytest.mark.django_db


def snapshot():
    return (
        Topic.objects.count(),
        Post.objects.count(),
        Vote.objects.count(),
        Flag.objects.count(),
        PostRevision.objects.count(),
        Post.objects.filter(is_accepted=True).count(),
    )


def refused_in_swedish(action) -> str:
    before = snapshot()
    with translation.override("sv"):
        with pytest.raises(ValidationError) as refused:
            action()
        message = refused.value.messages[0]
    assert snapshot() == before
    return message


@pytest.fixture
def world():
    topic = question()
    reply = answer(topic)
    discussion = question(kind="discussion", title="Vad tycker ni om nya kollektionen?")
    discussion_reply = answer(discussion)
    locked = question(title="En låst fråga")
    topic_lock(viewer=viewer(moderator_user()), topic=locked, locked=True, reason="Klart")
    locked.refresh_from_db()
    return {
        "topic": topic,
        "reply": reply,
        "discussion_reply": discussion_reply,
        "locked": locked,
        "member": forum_member(trust_level=1),
    }


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ("empty", "Skriv något innan du postar."),
        ("huge", "Ett inlägg får vara högst 20000 tecken"),
        ("spaces_title", "Ge ämnet en rubrik."),
        ("emoji_title", "minst tre bokstäver eller siffror"),
        ("locked", "Ämnet är låst"),
        ("closed_category", "Du får inte skriva i den här kategorin."),
        ("accept_discussion", "Bara svar på frågor kan godkännas."),
        ("accept_others", "Bara medlemmen som frågade kan godkänna ett svar."),
        ("vote_own", "Du kan inte rösta på ditt eget inlägg."),
        ("flag_twice", "Du har redan flaggat det här inlägget."),
        ("edit_late", "Inlägg kan redigeras i 60 minuter"),
    ],
)
def test_bad_input(world, case, expected):
    member = world["member"]
    who = viewer(member)
    category = world["topic"].category
    actions = {
        "empty": lambda: reply_create(viewer=who, topic=world["topic"], source="  \n "),
        "huge": lambda: reply_create(viewer=who, topic=world["topic"], source="x" * 1_048_576),
        "spaces_title": lambda: topic_create(
            viewer=who, category=category, title="      ", source="Hej"
        ),
        "emoji_title": lambda: topic_create(
            viewer=who, category=category, title="🔥🔥🔥🔥🔥", source="Hej"
        ),
        "locked": lambda: reply_create(viewer=who, topic=world["locked"], source="Hej"),
        "closed_category": lambda: topic_create(
            viewer=who, category=CategoryFactory(post_access="staff"), title="Hej hej", source="x"
        ),
        "accept_discussion": lambda: answer_accept(
            viewer=viewer(world["discussion_reply"].topic.author), post=world["discussion_reply"]
        ),
        "accept_others": lambda: answer_accept(viewer=who, post=world["reply"]),
        "vote_own": lambda: vote_add(viewer=viewer(world["reply"].author), post=world["reply"]),
        "flag_twice": lambda: flag_create(viewer=who, post=world["reply"], reason="spam"),
        "edit_late": lambda: post_edit(
            viewer=viewer(world["reply"].author), post=world["reply"], source="Ny"
        ),
    }
    if case == "flag_twice":
        flag_create(viewer=who, post=world["reply"], reason="spam")
    if case == "edit_late":
        Post.objects.filter(pk=world["reply"].pk).update(
            created_at=timezone.now() - datetime.timedelta(hours=2)
        )
        world["reply"].refresh_from_db()
    assert expected in refused_in_swedish(actions[case])


@override_settings(FORUMS_EDIT_WINDOW_MINUTES=60)
def test_editing_after_the_window_through_the_page(client):
    reply = answer(question())
    Post.objects.filter(pk=reply.pk).update(created_at=timezone.now() - datetime.timedelta(days=1))
    client.force_login(reply.author.user)
    response = client.post(
        reverse("forums:edit", args=[reply.pk]),
        {"body": "Sent"},
        follow=True,
        HTTP_ACCEPT_LANGUAGE="sv",
    )
    assert "Inlägg kan redigeras i 60 minuter" in response.content.decode()
    assert Post.objects.get(pk=reply.pk).source == "Använd läderfett."
