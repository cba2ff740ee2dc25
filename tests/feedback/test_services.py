"""Survey answers: one write path that checks every answer, stores it once, opens one follow-up
case for a detractor and earns points once."""

import threading
from collections import Counter

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import connection

from core.models import OutgoingEmail
from feedback.models import Answer, FollowUpCase, Invitation, Response
from feedback.services.cases import case_close, cases_escalate_overdue
from feedback.services.surveys import survey_answer_submit, survey_draft_save, survey_invite
from rewards.models import ActivityRule, PointsEntry
from tests.members.factories import MemberFactory, StaffFactory, UserFactory

from .factories import InvitationFactory, QuestionFactory, SurveyFactory, nps_survey

pytestmark = pytest.mark.django_db


def _codes(error: ValidationError) -> dict[str, list[str]]:
    return {key: [e.code for e in errors] for key, errors in error.error_dict.items()}


def test_a_promoter_answer_is_stored_with_its_scores_and_no_case():
    survey, nps, _why, csat = nps_survey()
    invitation = InvitationFactory(survey=survey)

    response = survey_answer_submit(invitation=invitation, raw={nps.pk: "10", csat.pk: 5})

    assert (response.nps, response.csat, response.member_id) == (10, 5, invitation.member_id)
    assert Answer.objects.filter(response=response).count() == 2
    assert not FollowUpCase.objects.exists()
    invitation.refresh_from_db()
    assert invitation.answered_at is not None


@pytest.mark.parametrize("value", ["11", "-1", "ten", True, "", None])
def test_out_of_range_or_missing_nps_is_refused_naming_the_question(value):
    survey, nps, _why, _csat = nps_survey()
    invitation = InvitationFactory(survey=survey)

    with pytest.raises(ValidationError) as caught:
        survey_answer_submit(invitation=invitation, raw={nps.pk: value})

    key = f"q{nps.pk}"
    assert key in caught.value.error_dict
    assert "How likely are you to recommend us?" in str(caught.value.error_dict[key][0].message)
    assert not Response.objects.exists()
    invitation.refresh_from_db()
    assert invitation.answered_at is None


def test_an_answer_to_a_question_hidden_by_its_condition_is_refused():
    survey, nps, why, _csat = nps_survey()
    invitation = InvitationFactory(survey=survey)

    with pytest.raises(ValidationError) as caught:
        survey_answer_submit(invitation=invitation, raw={nps.pk: 9, why.pk: "Bra!"})

    assert _codes(caught.value) == {f"q{why.pk}": ["hidden"]}
    assert not Response.objects.exists()


def test_a_detractor_must_answer_the_question_shown_for_them_and_opens_one_case(settings):
    settings.FEEDBACK_CASE_SLA_HOURS = 24
    survey, nps, why, _csat = nps_survey()
    invitation = InvitationFactory(survey=survey)

    with pytest.raises(ValidationError) as caught:
        survey_answer_submit(invitation=invitation, raw={nps.pk: 3})
    assert _codes(caught.value) == {f"q{why.pk}": ["required"]}

    response = survey_answer_submit(invitation=invitation, raw={nps.pk: 3, why.pk: "Kassan"})
    case = FollowUpCase.objects.get()
    assert (case.response, case.member_id, case.reason) == (
        response,
        invitation.member_id,
        "detractor",
    )
    assert (case.due_at - case.created_at).total_seconds() == 24 * 3600


def test_a_low_satisfaction_opens_a_case_too():
    survey = SurveyFactory()
    csat = QuestionFactory(survey=survey, kind="csat")
    survey_answer_submit(invitation=InvitationFactory(survey=survey), raw={csat.pk: 2})
    assert FollowUpCase.objects.get().reason == "low_csat"


def test_text_over_the_limit_and_unknown_questions_are_refused():
    survey = SurveyFactory()
    text = QuestionFactory(survey=survey, kind="text")
    invitation = InvitationFactory(survey=survey)

    with pytest.raises(ValidationError) as caught:
        survey_answer_submit(invitation=invitation, raw={text.pk: "x" * 100_000})
    assert _codes(caught.value) == {f"q{text.pk}": ["invalid"]}
    with pytest.raises(ValidationError) as caught:
        survey_answer_submit(invitation=invitation, raw={text.pk: "ok", 999999: "?"})
    assert caught.value.code == "unknown_question"
    assert not Response.objects.exists()


def test_choices_are_checked_against_the_question():
    survey = SurveyFactory()
    single = QuestionFactory(
        survey=survey, kind="single", choices_sv="Ja\nNej", choices_en="Yes\nNo"
    )
    multi = QuestionFactory(
        survey=survey, kind="multiple", choices_sv="A\nB\nC", choices_en="A\nB\nC", required=False
    )
    invitation = InvitationFactory(survey=survey)
    with pytest.raises(ValidationError):
        survey_answer_submit(invitation=invitation, raw={single.pk: "3"})
    with pytest.raises(ValidationError):
        survey_answer_submit(invitation=invitation, raw={single.pk: "1", multi.pk: ["1", "9"]})

    response = survey_answer_submit(
        invitation=invitation, raw={single.pk: "2", multi.pk: ["3", "1"]}
    )
    answers = response.answers.order_by("question__order").values_list("number", "choices")
    assert list(answers) == [(2, []), (None, [1, 3])]


def test_an_invitation_is_answered_once_and_not_by_another_member():
    survey, nps, _why, _csat = nps_survey()
    invitation = InvitationFactory(survey=survey, member=MemberFactory(user=UserFactory()))
    someone_else = UserFactory()

    with pytest.raises(ValidationError) as caught:
        survey_answer_submit(invitation=invitation, raw={nps.pk: 9}, user=someone_else)
    assert caught.value.code == "not_yours"

    survey_answer_submit(invitation=invitation, raw={nps.pk: 9}, user=invitation.member.user)
    with pytest.raises(ValidationError) as caught:
        survey_answer_submit(invitation=invitation, raw={nps.pk: 10})
    assert caught.value.code == "already_answered"
    assert Response.objects.count() == 1


def test_a_closed_survey_takes_no_answers():
    survey, nps, _why, _csat = nps_survey(status="closed")
    with pytest.raises(ValidationError) as caught:
        survey_answer_submit(invitation=InvitationFactory(survey=survey), raw={nps.pk: 9})
    assert caught.value.code == "closed"


def test_an_anonymous_answer_keeps_no_link_to_the_member():
    survey, nps, why, _csat = nps_survey(anonymous=True)
    invitation = InvitationFactory(survey=survey)

    response = survey_answer_submit(invitation=invitation, raw={nps.pk: 2, why.pk: "Dyrt"})

    assert response.member_id is None and response.invitation_id is None
    assert response.store_id is None
    assert (response.submitted_at.hour, response.submitted_at.minute) == (0, 0)
    assert not FollowUpCase.objects.exists()  # nobody to follow up with


def test_a_draft_is_kept_and_resumed_then_cleared_on_submit():
    survey, nps, why, _csat = nps_survey()
    invitation = InvitationFactory(survey=survey)

    survey_draft_save(invitation=invitation, raw={nps.pk: "4"})
    invitation.refresh_from_db()
    assert invitation.draft == {str(nps.pk): 4}

    survey_answer_submit(invitation=invitation, raw={nps.pk: 4, why.pk: "Kön"})
    invitation.refresh_from_db()
    assert invitation.draft == {}


def test_answering_earns_the_survey_points_once():
    ActivityRule.objects.create(activity="survey_answered", points=50)
    survey, nps, _why, _csat = nps_survey(earns_points=True)
    member = MemberFactory()
    first = InvitationFactory(survey=survey, member=member)
    second = InvitationFactory(survey=survey, member=member)

    survey_answer_submit(invitation=first, raw={nps.pk: 9})
    survey_answer_submit(invitation=second, raw={nps.pk: 10})

    assert PointsEntry.objects.filter(member=member, kind="earn").count() == 1


def test_an_invitation_is_made_and_mailed_once_per_occasion():
    survey, *_questions = nps_survey()
    member = MemberFactory()

    first = survey_invite(survey=survey, member=member, occasion="purchase:1")
    again = survey_invite(survey=survey, member=member, occasion="purchase:1")

    assert first == again
    assert Invitation.objects.count() == 1
    assert OutgoingEmail.objects.count() + len(mail.outbox) == 1


def test_closing_a_case_needs_a_note_and_can_send_did_we_fix_it():
    follow_up, _f_nps, *_rest = nps_survey()
    survey, nps, why, _csat = nps_survey(resurvey=follow_up)
    invitation = InvitationFactory(survey=survey)
    survey_answer_submit(invitation=invitation, raw={nps.pk: 0, why.pk: "Trasig vara"})
    case = FollowUpCase.objects.get()
    staff = StaffFactory()

    with pytest.raises(ValidationError):
        case_close(case=case, actor=staff, note="   ")
    case_close(case=case, actor=staff, note="Ringde och bytte varan.", resurvey=True)

    case.refresh_from_db()
    assert (case.status, case.resurvey_sent, case.closed_by) == ("closed", True, staff)
    assert Invitation.objects.filter(survey=follow_up, member=invitation.member).exists()
    with pytest.raises(ValidationError):
        case_close(case=case, actor=staff, note="Igen")


def test_overdue_cases_are_escalated_once(django_user_model):
    from datetime import timedelta

    from django.contrib.auth.models import Group
    from django.utils import timezone

    admin = StaffFactory()
    admin.groups.add(Group.objects.get_or_create(name="club admin")[0])
    survey, nps, why, _csat = nps_survey()
    survey_answer_submit(invitation=InvitationFactory(survey=survey), raw={nps.pk: 1, why.pk: "x"})
    later = timezone.now() + timedelta(days=30)

    assert cases_escalate_overdue(now=later) == 1
    assert cases_escalate_overdue(now=later) == 0
    assert FollowUpCase.objects.get().escalated_at == later


# --- At the same moment (real PostgreSQL, threads released together) ----------------------------


def _together(count, func):
    barrier = threading.Barrier(count)
    results: list = [None] * count

    def worker(index):
        try:
            barrier.wait(timeout=30)
            results[index] = ("ok", func(index))
        except ValidationError as error:
            results[index] = (error.code or "invalid", error)
        except Exception as error:
            results[index] = ("crash", error)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert all(r is not None for r in results), "a thread did not finish"
    return results


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_link_used_twice_at_the_same_moment_stores_one_answer_and_one_case():
    survey, nps, why, _csat = nps_survey()
    invitation = InvitationFactory(survey=survey)

    results = _together(
        8, lambda i: survey_answer_submit(invitation=invitation, raw={nps.pk: 2, why.pk: f"#{i}"})
    )

    assert Counter(code for code, _value in results) == {"ok": 1, "already_answered": 7}
    assert Response.objects.count() == 1
    assert FollowUpCase.objects.count() == 1
