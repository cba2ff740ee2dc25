"""The README's screenshots, taken from the demo club in headless Chromium: the member's home
and card on a phone, the back office's dashboard and the till on a desktop. Written to
test-artifacts/screenshots/ on every run (each page also checked for console errors and CSP
violations); `make screenshots` copies them to docs/screenshots/, which the README shows."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from tests.test_browser import ARTIFACTS, browser_page  # noqa: F401 - the fixture

DEMO_PASSWORD = "demo-lojal-2026"  # members.demo
SHOTS = ARTIFACTS / "screenshots"


def _login(page, live_server, email: str) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.locator("main button[type=submit]").click()
    page.wait_for_load_state("load")


def _shot(page, live_server, path: str, name: str, *, width: int, full: bool = True) -> None:
    page.set_viewport_size({"width": width, "height": 900 if width > 600 else 844})
    page.goto(live_server.url + path)
    page.wait_for_load_state("load")
    page.screenshot(path=SHOTS / f"{name}.png", full_page=full)


@pytest.mark.chromium
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_screenshots_of_the_demo_club(browser_page, live_server, settings):  # noqa: F811
    settings.STAFF_MFA_REQUIRED = False  # as in the demo
    call_command("seed_demo", members=80, seed=2026, verbosity=0)
    SHOTS.mkdir(parents=True, exist_ok=True)
    page = browser_page

    _login(page, live_server, "member@demo.lojal.se")
    _shot(page, live_server, "/", "member-home-phone", width=390)
    _shot(page, live_server, "/rewards/", "rewards-phone", width=390, full=False)
    _shot(page, live_server, "/", "member-home-desktop", width=1280, full=False)

    page.context.clear_cookies()
    _login(page, live_server, "admin@demo.lojal.se")
    _shot(page, live_server, "/admin/", "dashboard", width=1280)
    page.context.clear_cookies()
    _login(page, live_server, "store@demo.lojal.se")
    _shot(page, live_server, "/admin/till/", "till-phone", width=390, full=False)

    problems = [p for p in page.problems if not p.startswith("HTTP 404")]
    assert problems == []
    assert len(list(SHOTS.glob("*.png"))) >= 5
