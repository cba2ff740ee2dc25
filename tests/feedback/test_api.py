"""Answering over the API with a personal link's token."""

import pytest

from feedback.models import Response
from feedback.tokens import invitation_token
from tests.members.factories import MemberFactory, UserFactory

from .factories import InvitationFactory, nps_survey

pytestmark = pytest.mark.django_db


def test_read_and_answer_with_the_token(api_client):
    survey, nps, _why, _csat = nps_survey()
    token = invitation_token(InvitationFactory(survey=survey))

    read = api_client.get(f"/api/v1/feedback/surveys/{token}/")
    assert read.status_code == 200
    assert [q["kind"] for q in read.json()["questions"]] == ["nps", "text", "csat"]
    assert read.json()["questions"][1]["shown_after"] == nps.pk

    answered = api_client.post(
        "/api/v1/feedback/answers/",
        {"token": token, "answers": {str(nps.pk): 9}},
        format="json",
    )
    assert answered.status_code == 201, answered.json()
    again = api_client.post(
        "/api/v1/feedback/answers/",
        {"token": token, "answers": {str(nps.pk): 9}},
        format="json",
    )
    assert again.status_code == 409
    assert Response.objects.count() == 1


def test_refusals_name_the_question(api_client):
    survey, nps, _why, _csat = nps_survey()
    token = invitation_token(InvitationFactory(survey=survey))

    refused = api_client.post(
        "/api/v1/feedback/answers/",
        {"token": token, "answers": {str(nps.pk): 12}},
        format="json",
    )
    assert refused.status_code == 400
    assert "How likely are you to recommend us?" in refused.json()["errors"][f"q{nps.pk}"][0]
    bad_key = api_client.post(
        "/api/v1/feedback/answers/", {"token": token, "answers": {"x": 1}}, format="json"
    )
    assert bad_key.status_code == 400
    not_a_dict = api_client.post(
        "/api/v1/feedback/answers/", {"token": token, "answers": [1]}, format="json"
    )
    assert not_a_dict.status_code == 400


def test_a_forged_token_or_another_member_is_refused(api_client):
    survey, nps, _why, _csat = nps_survey()
    token = invitation_token(InvitationFactory(survey=survey, member=MemberFactory()))

    forged = api_client.post(
        "/api/v1/feedback/answers/", {"token": token + "x", "answers": {}}, format="json"
    )
    assert forged.status_code == 404
    intruder = UserFactory()
    MemberFactory(user=intruder)
    api_client.force_authenticate(intruder)
    refused = api_client.post(
        "/api/v1/feedback/answers/", {"token": token, "answers": {str(nps.pk): 1}}, format="json"
    )
    assert refused.status_code == 403
    assert not Response.objects.exists()
