import datetime
import io
import zipfile

import pytest
from django.test import RequestFactory
from django.utils import timezone

from core.dashboard import Period
from forums.integrations import dashboard_data, home_card
from forums.models import Follow, ForumProfile, Post, PostRevision, Vote
from forums.services.answers import answer_accept, vote_add
from forums.services.posting import post_edit
from members.segments import segment_field_get
from members.selectors.segments import segment_members
from members.selectors.timeline import member_timeline
from members.services.gdpr import member_erase, member_export_zip
from rewards.metrics import badge_metric_get

from .factories import answer, forum_member, question, viewer

pytestmark = pytest.mark.django_db


def rule(field, operator, value, **params):
    return {
        "op": "and",
        "rules": [{"field": field, "operator": operator, "value": value, "params": params}],
    }


@pytest.fixture
def helped():
    """An asker, a helper whose answer is accepted and voted helpful, and a bystander."""
    helper = forum_member(display_name="Hjalparen")
    topic = question(body="Hej @Hjalparen, vet du?")
    reply = answer(topic, author=helper)
    answer_accept(viewer=viewer(topic.author), post=reply)
    voter = forum_member()
    vote_add(viewer=viewer(voter), post=reply)
    return {"helper": helper, "topic": topic, "reply": reply, "voter": voter}


def test_segment_fields(helped):
    helper = helped["helper"]
    assert segment_field_get("forum_reputation") is not None
    assert helper in segment_members(rules=rule("forum_reputation", "gte", 20))
    assert helped["voter"] not in segment_members(rules=rule("forum_reputation", "gte", 1))
    assert helper in segment_members(rules=rule("forum_accepted_answers", "gte", 1))
    assert helper in segment_members(rules=rule("forum_posts", "gte", 1, days=7))
    assert helped["voter"] in segment_members(rules=rule("forum_posts", "eq", 0, days=7))


def test_badge_metrics(helped):
    helper = helped["helper"]
    for key in ("forum_helpful_answers", "forum_accepted_answers"):
        rows = list(badge_metric_get(key).func(member_ids=[helper.pk], since=None, until=None))
        assert rows == [{"member_id": helper.pk, "value": 1}], key


def test_timeline(helped):
    entries = member_timeline(member=helped["helper"])
    assert any(e.kind == "forum" and "Replied in" in str(e.title) for e in entries)


def test_export_and_erasure_keep_posts_under_an_anonymous_name(helped):
    helper, reply, topic = helped["helper"], helped["reply"], helped["topic"]
    post_edit(viewer=viewer(helper), post=reply, source="Bättre svar")
    archive = zipfile.ZipFile(io.BytesIO(member_export_zip(member=helper)))
    assert "Bättre svar" in archive.read("forum_posts.csv").decode()
    assert "Hjalparen" in archive.read("forum_activity.csv").decode()

    member_erase(member=helped["voter"])
    assert not Vote.objects.exists()
    assert Post.objects.get(pk=reply.pk).helpful_count == 0

    member_erase(member=helper)
    assert Post.objects.filter(pk=reply.pk, source="Bättre svar").exists()  # the post stays
    assert not PostRevision.objects.filter(post=reply).exists()
    assert ForumProfile.objects.get(member=helper).display_name == ""
    question_post = topic.posts.get(number=1)
    assert "Hjalparen" not in question_post.source and "@…" in question_post.source
    assert "Hjalparen" not in question_post.html
    assert not Follow.objects.filter(member=helper).exists()


def test_erased_authors_show_as_former_members(client, helped):
    member_erase(member=helped["helper"])
    reader = forum_member()
    client.force_login(reader.user)
    page = client.get(f"/forums/t/{helped['topic'].pk}/").content.decode()
    assert "Hjalparen" not in page and "Former member" in page


def test_home_card_lists_unread_replies_in_followed_topics(helped):
    topic = helped["topic"]
    request = RequestFactory().get("/")
    card = home_card(request, topic.author)
    assert card is not None and card["topics"][0]["title"] == topic.title
    assert home_card(request, forum_member()) is None


def test_dashboard_tile_figures(helped):
    now = timezone.now()
    period = Period(
        start=now - datetime.timedelta(days=30),
        end=now + datetime.timedelta(1),
        key="30d",
        label="30",
    )
    data = dashboard_data(RequestFactory().get("/"), period)
    figures = {str(f["label"]): f for f in data["figures"]}
    assert figures["Questions asked"]["value"] == 1
    assert figures["Questions answered"]["display"] == "1 (100%)"
    assert figures["Questions solved"]["value"] == 1
    assert figures["Median time to a first answer"]["value"].endswith(" h")
    assert data["rows"][0]["label"] == "Hjalparen"
    assert sum(data["chart"]["series"][0]["values"]) == 2
