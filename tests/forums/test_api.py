import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from forums.models import Post, Topic

from .factories import CategoryFactory, answer, forum_member, question

pytestmark = pytest.mark.django_db


def client_for(member):
    client = APIClient()
    client.force_authenticate(member.user)
    return client


def test_categories_topics_and_a_topic():
    topic = question(body="Hej **du**")
    answer(topic)
    client = client_for(forum_member())
    assert client.get(reverse("api-forum-categories")).json()["results"][0]["topic_count"] == 1
    listing = client.get(reverse("api-forum-topics"), {"sort": "unanswered"}).json()
    assert listing["results"] == []
    listing = client.get(reverse("api-forum-topics")).json()
    assert listing["results"][0]["title"] == topic.title
    detail = client.get(reverse("api-forum-topic", args=[topic.pk])).json()
    assert detail["posts"][0]["html"] == "<p>Hej <strong>du</strong></p>\n"


def test_posting_with_an_idempotency_key_writes_once():
    category = CategoryFactory()
    client = client_for(forum_member())
    body = {"category": category.slug, "title": "Vilken storlek?", "body": "Hej"}
    first = client.post(
        reverse("api-forum-topics"), body, format="json", HTTP_IDEMPOTENCY_KEY="abc"
    )
    again = client.post(
        reverse("api-forum-topics"), body, format="json", HTTP_IDEMPOTENCY_KEY="abc"
    )
    assert first.status_code == 201 and again.status_code == 201
    assert again["Idempotent-Replayed"] == "true"
    assert Topic.objects.count() == 1
    topic_id = first.json()["id"]
    reply = client.post(
        reverse("api-forum-topic", args=[topic_id]),
        {"body": "Svar"},
        format="json",
        HTTP_IDEMPOTENCY_KEY="r1",
    )
    assert reply.status_code == 201 and Post.objects.count() == 2


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        ({"title": "  ", "body": "x"}, "title_empty"),
        ({"title": "🎉🎉🎉", "body": "x"}, "title_no_words"),
        ({"title": "Hej hej", "body": ""}, "body_empty"),
        ({"title": "Hej hej", "body": "y" * 1_000_000}, "body_too_long"),
    ],
)
def test_bad_input_is_refused_with_a_translated_message(payload, code):
    category = CategoryFactory()
    client = client_for(forum_member())
    response = client.post(
        reverse("api-forum-topics"),
        {"category": category.slug, **payload},
        format="json",
        HTTP_ACCEPT_LANGUAGE="sv",
    )
    assert response.status_code == 400 and response.json()["code"] == code
    assert not Topic.objects.exists()


def test_rate_limited_posts_answer_429_with_when(settings):
    settings.FORUMS_LIMIT_SECONDS_BETWEEN = "600,600,600,600"
    member = forum_member()
    topic = question(author=member)
    response = client_for(member).post(
        reverse("api-forum-topic", args=[topic.pk]), {"body": "Igen"}, format="json"
    )
    assert response.status_code == 429 and response.json()["retry_at"]
    assert Post.objects.count() == 1


def test_the_schema_documents_the_forum_api(admin_client):
    response = admin_client.get(reverse("api-schema"))
    assert b"/api/v1/forums/topics/" in response.content
