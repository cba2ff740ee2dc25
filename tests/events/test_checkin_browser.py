"""The check-in page in headless Chromium under the strict CSP: scan by code, lose the network,
check in two more, get it back: all three recorded, none twice. Screenshots of the portal pages
at phone and desktop width land in test-artifacts/."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.contrib.auth.models import Group
from django.test import Client

from events.models import CheckIn, Registration
from events.services.registrations import event_register
from tests.members.factories import MemberFactory, StaffFactory, UserFactory
from tests.test_browser import ARTIFACTS, browser_page  # noqa: F401 - the fixture

from .factories import EventFactory

pytestmark = [pytest.mark.chromium, pytest.mark.django_db(transaction=True)]


def _log_in(page, live_server, user) -> None:
    client = Client()
    client.force_login(user)
    page.context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            },
            {"name": settings.LANGUAGE_COOKIE_NAME, "value": "sv", "url": live_server.url},
        ]
    )


def _wait_for_checkins(page, count: int) -> None:
    page.wait_for_function(
        "() => (JSON.parse(localStorage.getItem(Object.keys(localStorage)"
        ".find((k) => k.startsWith('lojal-checkin-queue-')) || 'x') || '[]').length === 0)",
        timeout=15000,
    )
    assert CheckIn.objects.count() == count


def test_checkin_by_code_then_offline_then_back_online(browser_page, live_server):  # noqa: F811
    page = browser_page
    page.set_viewport_size({"width": 390, "height": 844})  # the phone at the door
    event = EventFactory(attendance_points=0)
    registrations = [event_register(event=event, member=MemberFactory()) for _i in range(3)]
    staff = StaffFactory()
    staff.groups.add(Group.objects.get(name="store staff"))
    _log_in(page, live_server, staff)

    page.goto(f"{live_server.url}/staff/checkin/{event.pk}/")
    page.fill("#checkin-code", registrations[0].code)
    page.click("#checkin-code-form button[type=submit]")
    page.wait_for_selector(".checkin-result.alert--success")
    _wait_for_checkins(page, 1)

    page.context.set_offline(True)
    page.evaluate("() => window.dispatchEvent(new Event('offline'))")
    for registration in registrations[1:]:
        page.fill("#checkin-code", registration.code)
        page.click("#checkin-code-form button[type=submit]")
    page.wait_for_selector("#checkin-queue:not([hidden])")
    assert "(2)" in page.inner_text("#checkin-queue")
    assert CheckIn.objects.count() == 1
    page.screenshot(path=str(ARTIFACTS / "events-checkin-offline.png"))

    page.context.set_offline(False)
    _wait_for_checkins(page, 3)

    assert set(CheckIn.objects.values_list("registration_id", flat=True)) == {
        r.pk for r in registrations
    }
    assert not CheckIn.objects.filter(flagged=True).exists()
    assert Registration.objects.filter(event=event, attended_at__isnull=False).count() == 3
    # Only the requests tried while the network was down failed.
    assert [p for p in page.problems if "ERR_INTERNET_DISCONNECTED" not in p] == []


@pytest.mark.parametrize("width", [390, 1280])
def test_portal_pages_look_right(browser_page, live_server, width):  # noqa: F811
    page = browser_page
    page.set_viewport_size({"width": width, "height": 900})
    user = UserFactory()
    member = MemberFactory(user=user, email=user.email)
    event = EventFactory(
        title_sv="Vinprovning med sommelier Anna-Karin Östergren", capacity=12, points_price=100
    )
    EventFactory(title_sv="Löparklubb i Slottsskogen", city="Göteborg", guests_allowed=2)
    registration = event_register(event=EventFactory(title_sv="Frukostträff"), member=member)
    _log_in(page, live_server, user)

    for name, path in [
        ("list", "/events/"),
        ("detail", f"/events/{event.pk}/"),
        ("mine", "/events/mine/"),
    ]:
        page.goto(f"{live_server.url}{path}")
        page.wait_for_load_state("load")
        page.screenshot(path=str(ARTIFACTS / f"events-{name}-{width}.png"), full_page=True)
    assert registration.code in page.content()
    assert page.problems == []
