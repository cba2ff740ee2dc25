import pytest
from django.urls import reverse

from forums.selectors import search as search_module
from forums.selectors.search import post_search, topic_search

from .factories import answer, forum_member, question, viewer

pytestmark = pytest.mark.django_db


@pytest.mark.postgres
def test_swedish_posts_are_found_by_their_stem_ranked_and_highlighted():
    topic = question(title="Skötsel av läderskor", body="Hur sköter man läderskor?")
    best = answer(
        topic, body="Putsa stövlarna med kräm och borsta stövlarna ofta. Stövlar mår bra."
    )
    answer(topic, body="Jag köper en ny stövel varje år.")
    answer(topic, body="Helt orelaterat om väskor.")
    hits = post_search(viewer=viewer(forum_member()), query="stövlarna")
    found = [hit.post.pk for hit in hits]
    assert best.pk in found and found[0] == best.pk
    assert "<mark>" in hits[0].snippet


@pytest.mark.postgres
def test_english_posts_are_indexed_in_english():
    author = forum_member(language="en")
    topic = question(author=author, title="Caring for running shoes", body="Washing shoes?")
    hits = post_search(viewer=viewer(forum_member()), query="washed")
    assert [hit.post.topic_id for hit in hits] == [topic.pk]


@pytest.mark.postgres
def test_snippets_are_escaped():
    question(title="Farligt innehåll", body='skor <script>alert(1)</script> <b>fet</b> & "x"')
    hits = post_search(viewer=viewer(forum_member()), query="skor")
    assert "<script" not in hits[0].snippet and "<b>" not in hits[0].snippet
    raw = search_module.snippet("<img src=x onerror=alert(1)> \x02hit\x03")
    assert raw == "&lt;img src=x onerror=alert(1)&gt; <mark>hit</mark>"


@pytest.mark.postgres
def test_similar_answered_topics_while_typing():
    from forums.services.answers import answer_accept

    solved = question(title="Hur impregnerar jag mockaskor?")
    reply = answer(solved)
    answer_accept(viewer=viewer(solved.author), post=reply)
    question(title="Impregnera mocka, obesvarad")
    found = topic_search(
        viewer=viewer(forum_member()), query="impregnera mockaskorna", solved_only=True
    )
    assert [t.pk for t in found] == [solved.pk]


def test_sqlite_fallback_uses_icontains(monkeypatch):
    monkeypatch.setattr(search_module, "is_postgres", lambda: False)
    topic = question(title="Läder och mocka", body="Mockaskor behöver en borste")
    hits = post_search(viewer=viewer(forum_member()), query="borste")
    assert [hit.post.topic_id for hit in hits] == [topic.pk]
    assert topic_search(viewer=viewer(forum_member()), query="mocka skor")[0].pk == topic.pk


def test_the_similar_fragment_and_search_page(client):
    member = forum_member()
    client.force_login(member.user)
    response = client.get(reverse("forums:similar"), {"title": "Hur"})
    assert response.status_code == 200
    question(title="Storlek på kängor", body="Vilken storlek på kängorna?")
    page = client.get(reverse("forums:search"), {"q": "storlek"})
    assert "Storlek på kängor" in page.content.decode()
