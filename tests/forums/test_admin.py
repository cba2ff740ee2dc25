import pytest
from django.urls import reverse

from core.dashboard import backoffice_model_group
from forums.models import Post, Topic
from forums.services.moderation import flag_create
from tests.members.factories import StaffFactory

from .factories import CategoryFactory, answer, forum_member, moderator_user, question, viewer

pytestmark = pytest.mark.django_db


@pytest.fixture
def no_mfa(settings):
    settings.STAFF_MFA_REQUIRED = False


def test_moderators_see_the_queue_with_reasons_and_act_from_it(client, no_mfa):
    reply = answer(question(), body="Köp billiga klockor här")
    flag_create(
        viewer=viewer(forum_member(trust_level=1)), post=reply, reason="spam", note="Reklam"
    )
    moderator = moderator_user()
    client.force_login(moderator)
    queue = reverse("admin:forums_moderation_queue")
    page = client.get(queue)
    assert page.status_code == 200
    text = page.content.decode()
    assert "Köp billiga klockor" in text and "Reklam" in text and "Spam or advertising" in text
    response = client.post(
        reverse("forums:moderate-post", args=[reply.pk, "hide"]),
        {"reason": "Reklam", "next": queue},
    )
    assert response.status_code == 302 and response["Location"] == queue
    assert Post.objects.get(pk=reply.pk).is_hidden
    assert "Hidden" in client.get(queue).content.decode()


def test_staff_without_the_moderator_role_get_no_queue(client, no_mfa):
    client.force_login(StaffFactory())
    assert client.get(reverse("admin:forums_moderation_queue")).status_code in (302, 403)


def test_admin_pages_and_pin_action(client, no_mfa):
    topic = question()
    client.force_login(StaffFactory(is_superuser=True))
    for name in ["category", "topic", "post", "forumprofile"]:
        assert client.get(reverse(f"admin:forums_{name}_changelist")).status_code == 200
    assert client.get(reverse("admin:forums_category_add")).status_code == 200
    assert client.get(reverse("admin:forums_post_add")).status_code == 403
    client.post(
        reverse("admin:forums_topic_changelist"),
        {"action": "pin", "_selected_action": [topic.pk]},
    )
    assert Topic.objects.get(pk=topic.pk).is_pinned


def test_forum_models_are_club_life():
    assert backoffice_model_group("forums.Topic").group == "club_life"
    assert CategoryFactory()  # categories are editable in the admin
