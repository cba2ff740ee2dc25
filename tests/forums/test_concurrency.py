"""Concurrent posts against the real database: the forum profile's row lock, not luck, keeps the
rate limits and the post numbers right. Threads start together at a barrier."""

from collections import Counter

import pytest
from django.test import override_settings

from forums.models import Post
from forums.permissions import viewer_for_user
from forums.services.answers import answer_accept
from forums.services.posting import reply_create
from tests.rewards.test_concurrency import run_together

from .factories import answer, forum_member, question

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.limits,
    pytest.mark.django_db(transaction=True),
]


@override_settings(FORUMS_LIMIT_SECONDS_BETWEEN="60,60,60,60")
def test_ten_simultaneous_replies_from_one_member_post_once():
    with override_settings(FORUMS_LIMIT_SECONDS_BETWEEN="0,0,0,0"):
        topic = question()
    member = forum_member(trust_level=0)

    results = run_together(
        10,
        lambda i: reply_create(
            viewer=viewer_for_user(member.user), topic=topic, source=f"Svar {i}"
        ),
    )

    outcomes = Counter(outcome for outcome, _value in results)
    assert outcomes == {"ok": 1, "rate_limited": 9}, outcomes
    assert Post.objects.filter(author=member).count() == 1


@override_settings(FORUMS_LIMIT_SECONDS_BETWEEN="0,0,0,0", FORUMS_LIMIT_FIRST_DAY_REPLIES="3,3,3,3")
def test_first_day_limit_holds_under_concurrency_and_numbers_never_collide():
    topic = question()
    member = forum_member(trust_level=0)
    others = [forum_member(trust_level=3) for _i in range(5)]

    def post(i):
        author = member if i < 10 else others[i - 10]
        return reply_create(viewer=viewer_for_user(author.user), topic=topic, source=f"S{i}")

    results = run_together(15, post)

    outcomes = Counter(outcome for outcome, _value in results)
    assert outcomes == {"ok": 8, "rate_limited": 7}, outcomes
    assert Post.objects.filter(author=member).count() == 3
    numbers = list(Post.objects.filter(topic=topic).values_list("number", flat=True))
    assert sorted(numbers) == list(range(1, 10))


@override_settings(FORUMS_LIMIT_SECONDS_BETWEEN="0,0,0,0")
def test_two_answers_accepted_at_once_leave_one_accepted():
    topic = question()
    replies = [answer(topic) for _i in range(2)]
    asker = topic.author

    results = run_together(
        2, lambda i: answer_accept(viewer=viewer_for_user(asker.user), post=replies[i])
    )

    assert [outcome for outcome, _value in results] == ["ok", "ok"]
    assert Post.objects.filter(topic=topic, is_accepted=True).count() == 1
