import pytest
from django.core.management import call_command

from forums.models import Category, Flag, ForumProfile, Post, Topic, Vote

pytestmark = pytest.mark.django_db


def test_seed_demo_writes_plausible_threads():
    call_command("seed_demo", members=200, seed=7)
    assert Category.objects.count() == 6
    assert Category.objects.filter(read_access="staff").exists()
    topics = Topic.objects.all()
    assert topics.count() >= 12
    assert topics.filter(kind="question", solved_at__isnull=False).exists()
    assert topics.filter(kind="discussion").exists()
    assert topics.filter(language="en").exists() and topics.filter(language="sv").exists()
    assert (
        Post.objects.filter(is_accepted=True).count()
        == topics.filter(solved_at__isnull=False).count()
    )
    assert Vote.objects.exists()
    assert Flag.objects.filter(outcome="open").count() == 1
    assert ForumProfile.objects.filter(is_expert=True).exists()
    # the counters agree with the rows
    for topic in topics[:20]:
        assert topic.post_count == topic.posts.count()
    helper = ForumProfile.objects.order_by("-reputation").first()
    assert helper.reputation > 0
