"""The registries other apps plug into: home cards, dashboard tiles and groups, the calendar,
transactional SMS, and the member-content sanitiser."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.test import RequestFactory

from core import calendar, dashboard, home, messaging
from core.markup import markdown_render


def test_home_cards_in_order_and_hidden_when_context_is_none(monkeypatch):
    # given only these cards (the apps' own are tested with their apps), one with nothing to show
    monkeypatch.setattr(home, "_cards", {})
    home.home_card_register(key="t-b", template="b.html", context=lambda r, m: {"n": m}, order=2)
    home.home_card_register(key="t-a", template="a.html", context=lambda r, m: {"n": 1}, order=1)
    home.home_card_register(key="t-none", template="c.html", context=lambda r, m: None)
    try:
        # when the home asks for its cards
        cards = [c for c in home.home_cards(RequestFactory().get("/"), 7) if c.key.startswith("t-")]
        # then the empty one is left out and the others come in order with their context
        assert [(c.key, c.context) for c in cards] == [("t-a", {"n": 1}), ("t-b", {"n": 7})]
    finally:
        for key in ("t-a", "t-b", "t-none"):
            home.home_card_unregister(key)


def test_dashboard_refuses_an_unknown_group_and_files_unregistered_models_under_settings():
    with pytest.raises(ValueError, match="Unknown back-office group"):
        dashboard.dashboard_tile_register(key="x", title="X", group="nowhere", data=lambda r, p: {})
    assert dashboard.backoffice_model_group("nothing.Here").group == "settings"
    dashboard.backoffice_model_register(model="tests.Thing", group="club_life")
    assert dashboard.backoffice_model_group("tests.thing").group == "club_life"


@pytest.mark.django_db  # the apps' own providers (events) read the database
def test_calendar_entries_from_every_provider_sorted_by_start():
    now = datetime(2026, 12, 1, tzinfo=UTC)

    def later(*, start, end, user):
        return [calendar.CalendarEntry(kind="b", title="later", start=now + timedelta(days=2))]

    def sooner(*, start, end, user):
        return [calendar.CalendarEntry(kind="a", title="sooner", start=now + timedelta(days=1))]

    calendar.calendar_provider_register("t-later", later)
    calendar.calendar_provider_register("t-sooner", sooner)
    try:
        entries = calendar.calendar_entries(start=now, end=now + timedelta(days=7), user=None)
        titles = [e.title for e in entries if e.title in ("later", "sooner")]
        assert titles == ["sooner", "later"]
    finally:
        calendar.calendar_provider_unregister("t-later")
        calendar.calendar_provider_unregister("t-sooner")


def test_transactional_sms_without_a_sender_sends_nothing():
    previous = messaging._sender
    messaging.sms_sender_register(None)
    try:
        assert messaging.sms_send_transactional(member_id=1, text="Hej", key="k") is False
        sent = []
        messaging.sms_sender_register(lambda **kw: sent.append(kw) or True)
        assert messaging.sms_send_transactional(member_id=1, text="Hej", key="k") is True
        assert sent == [{"member_id": 1, "text": "Hej", "key": "k"}]
    finally:
        messaging.sms_sender_register(previous)


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("<script>alert(1)</script>", "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>\n"),
        ("[x](javascript:alert(1))", "<p>[x](javascript:alert(1))</p>\n"),
        ("![cat](https://evil.example/x.png)", "<p>cat</p>\n"),
        ("![cat](/media/forum/x.png)", '<p><img src="/media/forum/x.png" alt="cat"></p>\n'),
        (
            "[site](https://example.com)",
            '<p><a href="https://example.com" rel="nofollow ugc noopener">site</a></p>\n',
        ),
        ("<img src=x onerror=alert(1)>", "<p>&lt;img src=x onerror=alert(1)&gt;</p>\n"),
    ],
)
def test_markdown_render_is_sanitised(settings, source, expected):
    settings.MEDIA_URL = "/media/"
    assert markdown_render(source) == expected
