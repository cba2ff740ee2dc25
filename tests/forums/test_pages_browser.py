"""The forum pages in Chromium, on a phone and a desktop: clean under the CSP, and voting and
accepting work through htmx without a page reload. Screenshots in test-artifacts/ (and
FORUMS_SCREENSHOTS, when set)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from forums.models import Post, Vote
from forums.services.answers import answer_accept
from tests.test_browser import ARTIFACTS, browser_page  # noqa: F401 - the fixture

from .factories import CategoryFactory, answer, forum_member, question, viewer
from .test_xss_browser import _log_in

pytestmark = [pytest.mark.chromium, pytest.mark.django_db(transaction=True)]


def _shot(page, name: str) -> None:
    for folder in filter(None, [ARTIFACTS, os.environ.get("FORUMS_SCREENSHOTS")]):
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=Path(folder) / name, full_page=True)


def _clean(page) -> None:
    page.wait_for_load_state("load")
    page.evaluate("() => new Promise((resolve) => setTimeout(resolve, 100))")
    assert page.problems == []


def test_forum_pages_on_phone_and_desktop_and_htmx_voting(browser_page, live_server):  # noqa: F811
    page = browser_page
    category = CategoryFactory(name="Skovård", description="Frågor om skor och skötsel")
    asker = forum_member(display_name="Frida", language="en")
    topic = question(
        author=asker,
        category=category,
        title="How do I waterproof suede boots without ruining them?",
        body="I bought **suede boots** last week. Which spray works?",
    )
    expert = forum_member(display_name="Skomakaren")
    expert.forum_profile.is_expert = True
    expert.forum_profile.save()
    good = answer(
        topic, author=expert, body="Use a *nano spray*, two thin coats:\n\n1. Brush\n2. Spray"
    )
    answer(topic, body="> Which spray works?\n\nI like the club's own spray.")
    solved = question(author=asker, category=category, title="Which size of running shoes?")
    answer_accept(viewer=viewer(asker), post=answer(solved, body="Half a size up."))

    _log_in(page, live_server, asker.user)
    for width, label in ((390, "phone"), (1280, "desktop")):
        page.set_viewport_size({"width": width, "height": 900})
        for path, name in (
            ("/forums/", "index"),
            ("/forums/topics/", "topics"),
            (f"/forums/t/{topic.pk}/", "topic"),
            ("/forums/new/", "new"),
            ("/forums/helpers/", "helpers"),
            ("/forums/profile/", "profile"),
        ):
            page.goto(f"{live_server.url}{path}")
            _clean(page)
            _shot(page, f"forum-{name}-{label}.png")

    # Voting with htmx: the post is swapped in place, the page is not reloaded.
    voter = forum_member(display_name="Rostaren", language="en")
    _log_in(page, live_server, voter.user)
    page.goto(f"{live_server.url}/forums/t/{topic.pk}/")
    page.evaluate("() => { window.notReloaded = true; }")
    page.locator(f"#post-{good.pk}").get_by_role("button", name="Helpful · 0").click()
    page.locator(f"#post-{good.pk}").get_by_role("button", name="Helpful · 1").wait_for()
    assert page.evaluate("() => window.notReloaded") is True
    assert Vote.objects.filter(post=good).count() == 1
    _clean(page)

    # Accepting: the asker's click moves the answer under the question.
    _log_in(page, live_server, asker.user)
    page.goto(f"{live_server.url}/forums/t/{topic.pk}/")
    page.locator(f"#post-{good.pk}").get_by_role("button", name="Accept this answer").click()
    page.locator("#accepted-title").wait_for()
    assert Post.objects.get(pk=good.pk).is_accepted
    _clean(page)

    # The new-topic form suggests the answered question while the title is typed.
    page.goto(f"{live_server.url}/forums/new/")
    page.fill("#id_title", "running shoes size")
    page.locator("#similar a").first.wait_for()
    assert "Which size of running shoes?" in page.locator("#similar").inner_text()
    _clean(page)
    _shot(page, "forum-new-similar.png")
