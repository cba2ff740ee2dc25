"""The suggestions board: one vote per member, none on one's own, counts kept right under
concurrency, status changes tell the voters once, duplicates merged, moderation, the API."""

import threading
from collections import Counter

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import connection
from django.urls import reverse

from core.models import AuditLogEntry, OutgoingEmail
from feedback.models import Suggestion, SuggestionVote
from feedback.services.suggestions import (
    suggestion_comment,
    suggestion_counts_reconcile,
    suggestion_create,
    suggestion_hide,
    suggestion_merge,
    suggestion_set_status,
    suggestion_unvote,
    suggestion_vote,
)
from rewards.models import ActivityRule, PointsEntry
from tests.members.factories import MemberFactory, StaffFactory, UserFactory

pytestmark = pytest.mark.django_db


def _idea(author=None, **kwargs):
    return suggestion_create(
        member=author or MemberFactory(),
        topic=kwargs.pop("topic", "range"),
        title=kwargs.pop("title", "Fler veganska alternativ"),
        body=kwargs.pop("body", "Gärna i alla butiker."),
    )


def _emails() -> list:
    from core.email import email_from_payload

    return [email_from_payload(row.payload) for row in OutgoingEmail.objects.order_by("pk")] + list(
        mail.outbox
    )


@pytest.mark.parametrize(
    ("title", "code"),
    [
        ("", "required"),
        ("   ", "required"),
        ("🎉🎉🎉", "invalid"),
        ("a\u202eb", "invalid"),
        ("x" * 141, "too_long"),
    ],
)
def test_bad_titles_are_refused_and_nothing_is_stored(title, code):
    with pytest.raises(ValidationError) as caught:
        suggestion_create(member=MemberFactory(), topic="range", title=title, body="")
    assert caught.value.error_dict["title"][0].code == code
    assert not Suggestion.objects.exists()


def test_text_is_sanitised_markdown():
    idea = _idea(body="**Ja** <script>alert(1)</script> [x](javascript:alert(1))")
    assert "<strong>Ja</strong>" in idea.body_html
    assert "<script>" not in idea.body_html
    assert 'href="javascript' not in idea.body_html


def test_one_vote_per_member_never_on_ones_own():
    author, voter = MemberFactory(), MemberFactory()
    idea = _idea(author)

    with pytest.raises(ValidationError) as caught:
        suggestion_vote(member=author, suggestion=idea)
    assert caught.value.code == "own"
    suggestion_vote(member=voter, suggestion=idea)
    with pytest.raises(ValidationError) as caught:
        suggestion_vote(member=voter, suggestion=idea)
    assert caught.value.code == "already_voted"
    idea.refresh_from_db()
    assert idea.votes == 1
    suggestion_unvote(member=voter, suggestion=idea)
    idea.refresh_from_db()
    assert idea.votes == 0
    assert suggestion_counts_reconcile() == []


def test_a_status_change_tells_each_voter_once_in_their_language_and_adoption_pays_once():
    ActivityRule.objects.create(activity="suggestion_adopted", points=300)
    author = MemberFactory(language="sv")
    idea = _idea(author)
    for language in ("sv", "en"):
        suggestion_vote(member=MemberFactory(language=language), suggestion=idea)
    staff = StaffFactory()

    suggestion_set_status(suggestion=idea, status="planned", answer="Vi testar i vår!", actor=staff)
    emails = _emails()
    assert len(emails) == 3  # two voters and the author
    subjects = sorted(e.subject for e in emails)
    assert any(s.startswith("Planned:") for s in subjects)
    assert any(s.startswith("Planerad:") for s in subjects)

    suggestion_set_status(suggestion=idea, status="done", answer="Klart!", actor=staff)
    assert PointsEntry.objects.filter(member=author, kind="earn").count() == 1
    assert AuditLogEntry.objects.filter(action="feedback.suggestion_status").count() == 2


def test_merging_a_duplicate_moves_its_votes_once():
    original, duplicate = _idea(title="Längre öppettider"), _idea(title="Öppet till 21")
    both, only_dup = MemberFactory(), MemberFactory()
    suggestion_vote(member=both, suggestion=original)
    suggestion_vote(member=both, suggestion=duplicate)
    suggestion_vote(member=only_dup, suggestion=duplicate)

    suggestion_merge(duplicate=duplicate, original=original, actor=StaffFactory())

    original.refresh_from_db()
    duplicate.refresh_from_db()
    voters = set(
        SuggestionVote.objects.filter(suggestion=original).values_list("member", flat=True)
    )
    assert voters == {both.pk, only_dup.pk, duplicate.author_id}
    assert original.votes == 3
    assert (duplicate.status, duplicate.duplicate_of, duplicate.votes) == ("duplicate", original, 0)
    assert suggestion_counts_reconcile() == []


def test_hiding_tells_the_author_and_takes_it_off_the_board(client):
    author = MemberFactory(user=UserFactory())
    idea = _idea(author)
    suggestion_hide(suggestion=idea, actor=StaffFactory(), reason="Personuppgifter i texten")

    assert any("Personuppgifter i texten" in e.body for e in _emails())
    viewer = UserFactory()
    MemberFactory(user=viewer)
    client.force_login(viewer)
    assert idea.title not in client.get(reverse("feedback:suggestions")).content.decode()
    assert client.get(reverse("feedback:suggestion", args=[idea.pk])).status_code == 404
    with pytest.raises(ValidationError):
        suggestion_comment(suggestion=idea, member=MemberFactory(), body="Hej")


def test_board_pages_use_a_constant_number_of_queries(client, django_assert_max_num_queries):
    user = UserFactory()
    member = MemberFactory(user=user)
    client.force_login(user)
    for n in range(3):
        suggestion_vote(member=member, suggestion=_idea(title=f"Idé {n}"))
    with django_assert_max_num_queries(12) as few:
        assert client.get(reverse("feedback:suggestions")).status_code == 200
    for n in range(20):
        suggestion_vote(member=member, suggestion=_idea(title=f"Fler {n}"))
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = client.get(reverse("feedback:suggestions") + "?sort=votes")
    assert page.status_code == 200


def test_the_board_in_the_portal_posts_votes_and_comments(client):
    user = UserFactory()
    member = MemberFactory(user=user)
    client.force_login(user)
    idea = _idea()

    client.post(reverse("feedback:suggestion-vote", args=[idea.pk]), {"action": "vote"})
    client.post(reverse("feedback:suggestion-comment", args=[idea.pk]), {"body": "Håller med!"})
    empty = client.post(reverse("feedback:suggestion-comment", args=[idea.pk]), {"body": " "})

    idea.refresh_from_db()
    assert (idea.votes, idea.comments) == (1, 1)
    assert empty.status_code == 400
    page = client.get(reverse("feedback:suggestion", args=[idea.pk])).content.decode()
    assert "Håller med!" in page
    created = client.post(
        reverse("feedback:suggestion-new"),
        {"title": "Cykelparkering", "topic": "service", "body": ""},
    )
    assert created.status_code == 302
    assert Suggestion.objects.filter(author=member, title="Cykelparkering").exists()


def test_api_lists_creates_and_votes_with_idempotency(api_client):
    user = UserFactory()
    MemberFactory(user=user)
    api_client.force_authenticate(user)
    other = _idea(title="Matlagningskurs")

    created = api_client.post(
        "/api/v1/feedback/suggestions/",
        {"title": "Kvällsöppet", "topic": "service"},
        format="json",
        HTTP_IDEMPOTENCY_KEY="new-1",
    )
    again = api_client.post(
        "/api/v1/feedback/suggestions/",
        {"title": "Kvällsöppet", "topic": "service"},
        format="json",
        HTTP_IDEMPOTENCY_KEY="new-1",
    )
    assert created.status_code == 201 and again.json()["id"] == created.json()["id"]
    assert Suggestion.objects.filter(title="Kvällsöppet").count() == 1

    own = api_client.post(f"/api/v1/feedback/suggestions/{created.json()['id']}/vote/")
    assert own.status_code == 400 and own.json()["code"] == "own"
    voted = api_client.post(f"/api/v1/feedback/suggestions/{other.pk}/vote/")
    assert voted.status_code == 200 and voted.json()["votes"] == 1
    listed = api_client.get("/api/v1/feedback/suggestions/?sort=votes")
    assert listed.json()["results"][0]["id"] == other.pk
    assert api_client.get("/api/v1/feedback/suggestions/99999/vote/").status_code in (404, 405)
    bad = api_client.post(
        "/api/v1/feedback/suggestions/", {"title": "", "topic": "x"}, format="json"
    )
    assert bad.status_code == 400


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_thirty_members_vote_at_the_same_moment_and_the_count_is_right():
    idea = _idea()
    voters = MemberFactory.create_batch(30)
    barrier = threading.Barrier(30)
    outcomes: list = [None] * 30

    def vote(i):
        try:
            barrier.wait(timeout=30)
            suggestion_vote(member=voters[i], suggestion=idea)
            outcomes[i] = "ok"
        except Exception as error:
            outcomes[i] = repr(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=vote, args=(i,)) for i in range(30)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert Counter(outcomes) == {"ok": 30}
    idea.refresh_from_db()
    assert idea.votes == 30
    assert suggestion_counts_reconcile() == []
