"""Every payload of the XSS corpus, posted, edited, quoted, previewed, searched and shown in a
title, rendered by headless Chromium with alert/confirm/prompt hooked: nothing runs, the page has
no element with an event handler or a javascript: link in member content, and the
Content-Security-Policy reports no violation."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore

from forums.models import Post
from forums.services.posting import post_edit, reply_create, topic_create
from tests.test_browser import ARTIFACTS, browser_page  # noqa: F401 - the fixture

from .factories import CategoryFactory, forum_member, viewer
from .xss_corpus import PAYLOADS

pytestmark = [pytest.mark.chromium, pytest.mark.django_db(transaction=True)]

HOOK_ALERTS = """
for (const name of ["alert", "confirm", "prompt", "print"]) {
  window[name] = (...args) => { window.reportAlert(`${name}(${args.join(",")})`); };
}
"""
DANGEROUS_DOM = """
() => {
  const found = [];
  const content = ".forum-body, .forum-preview, .forum-hits";
  const banned = ["SCRIPT", "IFRAME", "OBJECT", "EMBED", "SVG", "STYLE", "LINK", "META", "BASE",
                  "FORM", "INPUT"];
  const elements = document.querySelectorAll(
    ".forum-body *, .forum-body, .forum-preview *, .forum-hits *, h1");
  for (const el of elements) {
    for (const attr of el.attributes) {
      if (attr.name.startsWith("on")) found.push(`${el.tagName} ${attr.name}`);
      if (/^\\s*(javascript|data|vbscript):/i.test(attr.value)) {
        found.push(`${el.tagName} ${attr.name}=${attr.value}`);
      }
    }
    if (banned.includes(el.tagName.toUpperCase()) && el.closest(content)) {
      found.push(`element ${el.tagName}`);
    }
  }
  return found;
}
"""


def _log_in(page, live_server, user) -> None:
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.save()
    page.context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": session.session_key,
                "url": live_server.url,
            }
        ]
    )


def _check(page, alerts, where: str) -> None:
    page.wait_for_load_state("load")
    page.evaluate("() => new Promise((resolve) => setTimeout(resolve, 200))")  # late handlers
    assert alerts == [], f"{where}: {alerts}"
    problems = [p for p in page.problems if p.startswith(("CSP", "page error"))]
    assert problems == [], f"{where}: {problems}"
    assert page.evaluate(DANGEROUS_DOM) == [], where


def test_no_payload_runs_anywhere(browser_page, live_server, settings):  # noqa: F811
    settings.FORUMS_LIMIT_SECONDS_BETWEEN = "0,0,0,0"
    settings.FORUMS_LIMIT_FIRST_DAY_REPLIES = "1000,1000,1000,1000"
    settings.FORUMS_LIMIT_FIRST_DAY_TOPICS = "1000,1000,1000,1000"
    page = browser_page
    alerts: list[str] = []
    page.context.expose_function("reportAlert", lambda text: alerts.append(text))
    page.context.add_init_script(HOOK_ALERTS)

    author = forum_member(trust_level=3, display_name="Skribent")
    reader = forum_member(trust_level=3, display_name="Lasare", language="en")
    who = viewer(author)
    category = CategoryFactory()
    posted = topic_create(
        viewer=who, category=category, title="<script>alert(1)</script> skor", source=PAYLOADS[0]
    )
    edited = topic_create(
        viewer=who, category=category, title='"><img src=x onerror=alert(1)> skor', source="Hej"
    )
    quoted = topic_create(
        viewer=who, category=category, title="<svg onload=alert(1)> citat", source="Hej"
    )
    for payload in PAYLOADS:
        reply_create(viewer=who, topic=posted, source=payload)
        post = reply_create(viewer=who, topic=edited, source="Före redigering")
        post_edit(viewer=who, post=post, source=f"Redigerat: {payload}")
        reply_create(viewer=who, topic=quoted, source=f"> {payload}\n\nSvar: {payload}")
    history_post = Post.objects.filter(topic=edited).order_by("number").last()
    for payload in PAYLOADS[:10]:
        post_edit(viewer=who, post=history_post, source=payload)

    _log_in(page, live_server, reader.user)
    # The hook works: a probe alert is reported (and then forgotten).
    page.goto(f"{live_server.url}/forums/")
    page.evaluate("() => alert('probe')")
    page.evaluate("() => new Promise((resolve) => setTimeout(resolve, 100))")
    assert alerts == ["alert(probe)"]
    alerts.clear()
    for topic in (posted, edited, quoted):
        for number in (1, 2):
            page.goto(f"{live_server.url}/forums/t/{topic.pk}/?page={number}")
            _check(page, alerts, f"topic {topic.pk} page {number}")
            assert page.locator(".forum-body").count() > 20
    page.goto(f"{live_server.url}/forums/topics/")
    _check(page, alerts, "topic list")
    page.goto(f"{live_server.url}/forums/search/?q=alert")
    _check(page, alerts, "search")
    page.screenshot(path=ARTIFACTS / "forum-xss-search.png", full_page=False)

    # The quote link of a post and the preview (htmx) of every payload at once.
    page.goto(f"{live_server.url}/forums/t/{posted.pk}/")
    page.fill("#id_body", "\n\n".join(PAYLOADS))
    page.get_by_role("button", name="Preview").click()
    page.wait_for_selector(".forum-preview")
    _check(page, alerts, "preview")
    page.screenshot(path=ARTIFACTS / "forum-xss-preview.png", full_page=False)

    # The author sees the history of their post (earlier versions, each a payload).
    _log_in(page, live_server, author.user)
    page.goto(f"{live_server.url}/forums/p/{history_post.pk}/history/")
    _check(page, alerts, "history")
    assert page.locator("article.card").count() >= 10
