"""The portal in a real browser: the layout loads its own CSS and scripts under the strict CSP,
and a member logs in. Needs /usr/bin/chromium; screenshots land in test-artifacts/."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.members.factories import PASSWORD, UserFactory

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# Runs in every page before its own scripts: report CSP violations to the test.
REPORT_CSP_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => {
  window.reportCspViolation(`${event.violatedDirective} blocked ${event.blockedURI || "inline"}`);
});
"""
HEADER_BACKGROUND = "rgb(11, 74, 68)"  # --color-primary-dark in static/css/portal.css


@pytest.fixture
def browser_page(live_server, monkeypatch):
    """A Chromium page that records console errors, failed requests and CSP violations."""
    # Playwright's sync API runs an event loop in this thread; Django's ORM calls from the test
    # (factories) are still synchronous.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    problems: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", headless=True, args=CHROMIUM_ARGS
        )
        context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
        # Waits end on events (load, a selector, a URL); the time-out only stops a broken page
        # from hanging, so it is far beyond what a busy 2-core machine needs (default 30 s).
        context.set_default_timeout(180_000)
        context.expose_function("reportCspViolation", lambda text: problems.append(f"CSP: {text}"))
        context.add_init_script(REPORT_CSP_VIOLATIONS)
        page = context.new_page()
        page.on(
            "console",
            lambda message: (
                problems.append(f"console {message.type}: {message.text}")
                if message.type in ("error", "warning")
                else None
            ),
        )
        page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
        page.on(
            "response",
            lambda response: (
                problems.append(f"HTTP {response.status}: {response.url}")
                if response.status >= 400
                else None
            ),
        )
        page.problems = problems  # type: ignore[attr-defined]
        try:
            yield page
        finally:
            context.close()
            browser.close()


def _assert_page_is_clean(page) -> None:
    """The page styled by our CSS, with no CSP violation, console error or failed request."""
    page.wait_for_load_state("load")
    page.evaluate("() => new Promise((resolve) => setTimeout(resolve, 100))")  # late reports
    assert page.problems == []
    header = page.locator(".site-header")
    assert header.evaluate("(el) => getComputedStyle(el).backgroundColor") == HEADER_BACKGROUND
    assert page.evaluate("() => typeof window.htmx") == "object"


@pytest.mark.chromium
def test_member_logs_in_through_the_browser(browser_page, live_server):
    # given a member with a verified e-mail address
    member = UserFactory(first_name="Signe", language="en")
    page = browser_page

    # when a visitor opens the front page
    page.goto(f"{live_server.url}/")
    # then the welcome page shows, styled, with no CSP violation or error
    assert page.get_by_role("heading", level=1).is_visible()
    _assert_page_is_clean(page)
    page.screenshot(path=ARTIFACTS / "welcome.png", full_page=True)

    # when they open the login page
    page.goto(f"{live_server.url}/accounts/login/")
    page.screenshot(path=ARTIFACTS / "login.png", full_page=True)
    # then it is clean too, and its inputs are found by their labels
    _assert_page_is_clean(page)
    email = page.get_by_label("Email", exact=True)
    password = page.get_by_label("Password", exact=True)
    assert email.get_attribute("autocomplete") == "email"
    assert password.get_attribute("autocomplete") == "current-password"

    # when the member logs in with e-mail and password
    email.fill(member.email)
    password.fill(PASSWORD)
    page.get_by_role("main").get_by_role("button", name="Sign In").click()

    # then they reach their own home page
    page.wait_for_url(f"{live_server.url}/")
    assert page.get_by_role("heading", level=1).inner_text() == "Hello, Signe!"
    assert page.get_by_text(member.email, exact=True).is_visible()
    _assert_page_is_clean(page)
    page.screenshot(path=ARTIFACTS / "home.png", full_page=True)


@pytest.mark.chromium
def test_language_switch_in_the_browser(browser_page, live_server):
    # given a visitor on the login page in English
    page = browser_page
    page.goto(f"{live_server.url}/accounts/login/")

    # when they choose Swedish
    page.get_by_role("button", name="Svenska").click()

    # then the same page comes back in Swedish, still clean
    page.wait_for_load_state("load")
    assert page.url == f"{live_server.url}/accounts/login/"
    assert page.locator("html").get_attribute("lang") == "sv"
    assert page.get_by_label("Lösenord", exact=True).is_visible()
    _assert_page_is_clean(page)
    page.screenshot(path=ARTIFACTS / "login-sv.png", full_page=True)


@pytest.mark.chromium
def test_keyboard_user_can_skip_to_the_content(browser_page, live_server):
    # given a keyboard user on the front page
    page = browser_page
    page.goto(f"{live_server.url}/")

    # when they press Tab once
    page.keyboard.press("Tab")

    # then the skip link is focused and visible, with a focus outline
    skip = page.locator(".skip-link")
    assert skip.evaluate("(el) => el === document.activeElement")
    assert skip.is_visible()
    box = skip.bounding_box()
    assert box is not None and box["y"] >= 0
    assert skip.evaluate("(el) => getComputedStyle(el).outlineStyle") == "solid"
