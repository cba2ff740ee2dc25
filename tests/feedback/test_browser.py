"""Member-written text in feedback (free-text answers, suggestions, comments, conversation
messages) rendered in headless Chromium with the XSS corpus: nothing executes and the CSP reports
no violation, in the member's pages and in the staff pages that show the same text."""

from __future__ import annotations

import pytest
from django.urls import reverse

from feedback.models import FollowUpCase
from feedback.services.conversations import conversation_start
from feedback.services.suggestions import suggestion_comment, suggestion_create
from feedback.services.surveys import survey_answer_submit
from tests.members.factories import PASSWORD, MemberFactory, StaffFactory, UserFactory
from tests.test_browser import browser_page  # noqa: F401 - the fixture
from tests.xss_corpus import PAYLOADS

from .factories import InvitationFactory, nps_survey

HOOK_ALERT = """
window.__alerts = [];
window.alert = window.confirm = window.prompt = (v) => { window.__alerts.push(String(v)); };
"""


def _login(page, live_server, email: str) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_load_state("load")


def _assert_nothing_ran(page) -> None:
    page.wait_for_load_state("load")
    page.evaluate("() => new Promise((resolve) => setTimeout(resolve, 200))")  # late handlers
    assert page.evaluate("() => window.__alerts") == []
    csp = [p for p in page.problems if p.startswith("CSP")]
    assert csp == []


@pytest.mark.chromium
@pytest.mark.django_db(transaction=True)
def test_the_xss_corpus_runs_nowhere_in_feedback(browser_page, live_server, settings):  # noqa: F811
    settings.STAFF_MFA_REQUIRED = False
    page = browser_page
    page.context.add_init_script(HOOK_ALERT)
    user = UserFactory(language="en")
    member = MemberFactory(user=user, language="en")
    author = MemberFactory()
    survey, nps, why, _csat = nps_survey()
    for n, payload in enumerate(PAYLOADS):
        survey_answer_submit(
            invitation=InvitationFactory(survey=survey, member=author, occasion=f"x{n}"),
            raw={nps.pk: 0, why.pk: payload},
        )
    suggestion = suggestion_create(
        member=author, topic="club", title="XSS-tavlan", body="\n\n".join(PAYLOADS)
    )
    for payload in PAYLOADS[:20]:
        suggestion_comment(suggestion=suggestion, member=author, body=payload)
    conversation = conversation_start(
        member=member, subject="<script>alert(99)</script>", topic="other", body="\n".join(PAYLOADS)
    )

    _login(page, live_server, user.email)
    for url in [
        reverse("feedback:suggestions"),
        reverse("feedback:suggestion", args=[suggestion.pk]),
        reverse("feedback:contact"),
        reverse("feedback:conversation", args=[conversation.pk]),
    ]:
        page.goto(live_server.url + url)
        _assert_nothing_ran(page)
        assert "XSS" in page.content() or "alert" in page.content()

    staff = StaffFactory(is_superuser=True)
    page.context.clear_cookies()
    _login(page, live_server, staff.email)
    case = FollowUpCase.objects.first()
    for url in [
        reverse("admin:feedback_survey_results", args=[survey.pk]),
        reverse("admin:feedback_response_change", args=[case.response_id]),
        reverse("admin:feedback_suggestion_change", args=[suggestion.pk]),
        reverse("admin:feedback_conversation_change", args=[conversation.pk]),
    ]:
        page.goto(live_server.url + url)
        _assert_nothing_ran(page)
