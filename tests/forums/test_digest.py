import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from core.models import OutgoingEmail
from forums.models import ForumProfile, Notification
from forums.services.answers import answer_accept
from forums.services.digest import digests_send, stop_token
from forums.tasks import forum_digests_send_task

from .factories import answer, forum_member, question, viewer

pytestmark = pytest.mark.django_db


def emails_to(member):
    return OutgoingEmail.objects.filter(recipients=member.email)


def test_a_busy_topic_sends_one_digest_per_window(settings):
    settings.FORUMS_DIGEST_MINUTES = 60
    asker = forum_member()
    topic = question(author=asker)
    for _i in range(5):
        answer(topic)
    now = timezone.now().replace(minute=1, second=0, microsecond=0)  # early in an hour's window
    assert digests_send(now=now) == 5  # the asker and the four earlier repliers (following)
    assert digests_send(now=now) == 0  # twice in a row: still one each
    email = emails_to(asker).get()
    assert "Nytt svar i" in email.payload["body"] and "/forums/stop/" in email.payload["body"]
    assert email.payload["headers"]["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    answer(topic)
    # Same window: only the last replier, who had no e-mail yet, gets one; the others wait.
    assert digests_send(now=now + datetime.timedelta(minutes=5)) == 1
    assert emails_to(asker).count() == 1
    assert digests_send(now=now + datetime.timedelta(minutes=61)) == 5
    assert emails_to(asker).count() == 2


def test_mentions_and_accepted_answers_are_in_the_digest_in_english(settings):
    helper = forum_member(display_name="Hjalpsam", language="en")
    topic = question(body="Vad tycker @Hjalpsam?")
    reply = answer(topic, author=helper)
    answer_accept(viewer=viewer(topic.author), post=reply)
    forum_digests_send_task()
    body = emails_to(helper).get().payload["body"]
    assert "You were mentioned in" in body and "was accepted" in body


def test_one_click_stop_turns_off_that_kind(client):
    member = forum_member()
    token = stop_token(member_id=member.pk, kind="reply")
    page = client.get(reverse("forums:stop", args=[token]))
    assert page.status_code == 200
    assert ForumProfile.objects.get(member=member).email_on_reply
    response = client.post(reverse("forums:stop", args=[token]))
    assert response.status_code == 200
    profile = ForumProfile.objects.get(member=member)
    assert not profile.email_on_reply and profile.email_on_mention
    assert client.post(reverse("forums:stop", args=["forged"])).status_code == 400


def test_a_member_who_stopped_replies_gets_no_reply_mail():
    asker = forum_member()
    ForumProfile.objects.filter(member=asker).update(email_on_reply=False)
    answer(question(author=asker))
    assert digests_send() == 0
    assert not emails_to(asker).exists()
    assert not Notification.objects.filter(emailed_at__isnull=True).exists()
