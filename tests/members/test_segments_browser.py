"""The segment builder in a real browser: rules built with the mouse, the live count, saving;
no CSP violation or console error. Needs /usr/bin/chromium."""

from __future__ import annotations

import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.conf import settings
from django.contrib.auth.models import Group
from django.test import Client

from members.models import Segment
from tests.members.factories import MemberFactory, StaffFactory
from tests.test_browser import ARTIFACTS, browser_page  # noqa: F401  (fixture)

pytestmark = [pytest.mark.chromium, pytest.mark.django_db(transaction=True)]


def test_marketer_builds_a_segment_with_a_live_count(browser_page, live_server):  # noqa: F811
    # given two Stockholm members, one in Umeå, and a marketer with MFA logged in
    MemberFactory(city="Stockholm")
    MemberFactory(city="Stockholm")
    MemberFactory(city="Umeå")
    marketer = StaffFactory()
    marketer.groups.add(Group.objects.get(name="marketer"))
    TOTP.activate(marketer, generate_totp_secret())
    client = Client()
    client.force_login(marketer)
    page = browser_page
    page.context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )

    # when they open the builder, add a rule "city is Stockholm"
    page.goto(f"{live_server.url}/admin/members/segment/add/")
    page.wait_for_selector(".segment-count, .segment-preview__count")
    page.click(".segment-add-rule")
    page.select_option(".segment-rule__field", "city")
    page.select_option(".segment-rule__operator", "eq")
    page.fill(".segment-rule__value", "Stockholm")

    # then the live count shows the two members and a sample of them
    page.wait_for_function(
        "() => document.querySelector('.segment-preview__count strong')?.textContent === '2'"
    )
    assert page.locator(".segment-preview__sample tbody tr").count() == 2
    page.screenshot(path=ARTIFACTS / "segment-builder.png", full_page=True)

    # and saving stores the rules built in the page
    page.fill("#id_name", "Stockholmare")
    page.click("input[name=_save]")
    page.wait_for_url(f"{live_server.url}/admin/members/segment/")
    assert Segment.objects.get().rules == {
        "op": "and",
        "rules": [{"field": "city", "operator": "eq", "value": "Stockholm"}],
    }
    # (the admin pages have no favicon link, so the browser's own /favicon.ico request 404s)
    problems = [p for p in page.problems if "favicon" not in p and "404 (Not Found)" not in p]
    assert problems == []
    assert not any("favicon" not in p for p in page.problems if p.startswith("HTTP"))
