"""The portal's survey pages: a personal link without login, refused to another member, resumed
after saving, shown as text whatever was written; the staff results and case pages."""

import re

import pytest
from django.urls import reverse

from feedback.models import FollowUpCase, Response
from feedback.services.surveys import survey_answer_submit
from feedback.tokens import invitation_url
from tests.members.factories import MemberFactory, UserFactory

from .factories import InvitationFactory, nps_survey

pytestmark = pytest.mark.django_db


def test_the_link_works_without_login_and_thanks_after_answering(client):
    survey, nps, _why, _csat = nps_survey()
    invitation = InvitationFactory(survey=survey, member__language="en")
    url = invitation_url(invitation)

    page = client.get(url)
    assert page.status_code == 200
    assert "How likely are you to recommend us?" in page.content.decode()

    done = client.post(url, {f"q{nps.pk}": "9", "action": "submit"})
    assert done.status_code == 200
    assert "Thank you" in done.content.decode()
    assert Response.objects.get().member == invitation.member
    again = client.get(url)
    assert "already answered" in again.content.decode()


def test_a_forged_token_is_a_404(client):
    survey, *_ = nps_survey()
    url = invitation_url(InvitationFactory(survey=survey))
    assert client.get(url[:-3] + "xyz/").status_code == 404
    assert client.get("/s/%00/").status_code in (400, 404)  # NUL is refused before any view


def test_another_logged_in_member_is_refused_and_nothing_is_stored(client):
    survey, nps, _why, _csat = nps_survey()
    invitation = InvitationFactory(survey=survey, member=MemberFactory(user=UserFactory()))
    intruder = UserFactory()
    MemberFactory(user=intruder)
    client.force_login(intruder)

    page = client.post(invitation_url(invitation), {f"q{nps.pk}": "10", "action": "submit"})

    assert page.status_code == 403
    assert not Response.objects.exists()


def test_errors_name_the_question_and_keep_nothing(client):
    survey, nps, _why, _csat = nps_survey()
    url = invitation_url(InvitationFactory(survey=survey, member__language="en"))

    page = client.post(url, {f"q{nps.pk}": "2", "action": "submit"})

    assert page.status_code == 400
    assert "What could we do better?" in page.content.decode()
    assert "needs an answer" in page.content.decode()
    assert not Response.objects.exists()


def test_save_and_resume(client):
    survey, nps, _why, _csat = nps_survey()
    url = invitation_url(InvitationFactory(survey=survey, member__language="en"))

    saved = client.post(url, {f"q{nps.pk}": "5", "action": "save"}, follow=True)

    assert "Welcome back" in saved.content.decode()
    assert re.search(r'value="5"[^>]*checked', saved.content.decode())


def test_free_text_with_html_is_shown_as_text_in_the_results(admin_client):
    survey, nps, why, _csat = nps_survey()
    survey_answer_submit(
        invitation=InvitationFactory(survey=survey),
        raw={nps.pk: 1, why.pk: "<script>alert(1)</script><img src=x onerror=alert(2)>"},
    )
    case = FollowUpCase.objects.get()

    for url in [
        reverse("admin:feedback_survey_results", args=[survey.pk]),
        reverse("admin:feedback_response_change", args=[case.response_id]),
        reverse("admin:feedback_followupcase_change", args=[case.pk]),
    ]:
        page = admin_client.get(url)
        assert page.status_code == 200, url
        assert "<script>alert(1)" not in page.content.decode()
        assert "onerror=alert(2)>" not in page.content.decode()


def test_results_page_shows_the_nps_and_the_csv_neutralises_formulas(admin_client):
    survey, nps, why, _csat = nps_survey()
    survey_answer_submit(invitation=InvitationFactory(survey=survey), raw={nps.pk: 10})
    survey_answer_submit(
        invitation=InvitationFactory(survey=survey), raw={nps.pk: 0, why.pk: "=HYPERLINK(1)"}
    )

    page = admin_client.get(reverse("admin:feedback_survey_results", args=[survey.pk]))
    assert page.status_code == 200
    assert "<svg" in page.content.decode()

    csv = b"".join(
        admin_client.get(reverse("admin:feedback_survey_csv", args=[survey.pk])).streaming_content
    ).decode()
    assert "'=HYPERLINK(1)" in csv


def test_closing_a_case_from_its_page_needs_a_note(admin_client):
    survey, nps, why, _csat = nps_survey()
    survey_answer_submit(invitation=InvitationFactory(survey=survey), raw={nps.pk: 0, why.pk: "x"})
    case = FollowUpCase.objects.get()
    url = reverse("admin:feedback_followupcase_close", args=[case.pk])

    refused = admin_client.post(url, {"note": ""})
    assert refused.status_code == 200
    case.refresh_from_db()
    assert case.status == "open"

    closed = admin_client.post(url, {"note": "Ringde kunden"})
    assert closed.status_code == 302
    case.refresh_from_db()
    assert (case.status, case.note) == ("closed", "Ringde kunden")


def test_my_surveys_lists_open_invitations_and_portal_surveys(client):
    user = UserFactory()
    member = MemberFactory(user=user)
    survey, *_ = nps_survey()
    portal_survey, *_ = nps_survey(in_portal=True)
    InvitationFactory(survey=survey, member=member)
    InvitationFactory(survey=survey)  # someone else's
    client.force_login(user)

    page = client.get(reverse("feedback:surveys"))

    assert page.status_code == 200
    assert page.content.decode().count('class="card survey-card"') == 2
    started = client.post(reverse("feedback:survey-start", args=[portal_survey.pk]))
    assert started.status_code == 302 and started["Location"].startswith("/s/")


def test_the_link_opens_in_the_member_language_until_they_choose(client, settings):
    survey, *_ = nps_survey()
    url = invitation_url(InvitationFactory(survey=survey, member__language="sv"))

    assert "Hur troligt är det att du rekommenderar oss?" in client.get(url).content.decode()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    assert "How likely are you to recommend us?" in client.get(url).content.decode()
