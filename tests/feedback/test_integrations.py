"""What feedback plugs into: segments, the member 360 timeline, GDPR export and erasure, the
purchase hook and the joining trigger, the home card and the dashboard tiles."""

import datetime
import io
import zipfile

import pytest
from django.test import RequestFactory
from django.utils import timezone

from core.dashboard import Period, dashboard_tiles
from core.home import home_cards
from feedback.models import Answer, FollowUpCase, Invitation, Response
from feedback.services.surveys import survey_answer_submit
from feedback.services.triggers import surveys_after_joining
from members.models import Member
from members.segments import segment_q
from members.services.gdpr import member_erase, member_export_zip
from members.services.purchases import purchase_record
from members.timeline import timeline_providers
from tests.members.factories import MemberFactory, StaffFactory

from .factories import InvitationFactory, QuestionFactory, SurveyFactory, nps_survey

pytestmark = pytest.mark.django_db


def _answer(member, score, text=""):
    survey, nps, why, _csat = nps_survey()
    raw = {nps.pk: score}
    if score <= 6:
        raw[why.pk] = text or "Långa köer"
    return survey_answer_submit(invitation=InvitationFactory(survey=survey, member=member), raw=raw)


def test_segment_fields_nps_category_answered_and_open_case():
    promoter, detractor, silent = MemberFactory(), MemberFactory(), MemberFactory()
    _answer(promoter, 10)
    _answer(detractor, 2)

    def matching(rule):
        return set(Member.objects.filter(segment_q({"op": "and", "rules": [rule]})))

    assert matching({"field": "nps_category", "operator": "in", "value": ["promoter"]}) == {
        promoter
    }
    assert matching({"field": "nps_category", "operator": "in", "value": ["detractor"]}) == {
        detractor
    }
    assert matching({"field": "survey_answered", "operator": "is", "value": False}) == {silent}
    assert matching({"field": "followup_case_open", "operator": "is", "value": True}) == {detractor}


def test_timeline_shows_answers_and_cases():
    member = MemberFactory()
    _answer(member, 3)
    entries = [e for p in timeline_providers() for e in p(member=member, limit=10)]
    kinds = {e.kind for e in entries}
    assert {"survey", "case"} <= kinds


def test_export_lists_answers_and_erasure_keeps_the_figures_only():
    member = MemberFactory()
    _answer(member, 1, text="Min granne Anna Svensson var otrevlig")

    archive = zipfile.ZipFile(io.BytesIO(member_export_zip(member=member)))
    names = archive.namelist()
    assert any(n.endswith("survey_answers.csv") for n in names)
    answers_csv = archive.read(next(n for n in names if n.endswith("survey_answers.csv"))).decode()
    assert "Anna Svensson" in answers_csv

    member_erase(member=member, actor=StaffFactory())

    response = Response.objects.get()
    assert (response.member_id, response.invitation_id, response.nps) == (None, None, 1)
    assert not Answer.objects.exclude(text="").exists()
    assert FollowUpCase.objects.get().member_id is None
    assert not Invitation.objects.filter(member=member).exists()


def test_a_purchase_invites_to_the_after_purchase_survey_once():
    survey = SurveyFactory(trigger="after_purchase")
    QuestionFactory(survey=survey, kind="csat")
    member = MemberFactory()

    for _ in range(2):
        purchase_record(
            member=member,
            purchased_at=timezone.now(),
            amount="499.00",
            currency="SEK",
            channel="online",
            store=None,
            source="webshop",
            external_id="order-1",
        )

    assert Invitation.objects.filter(survey=survey, member=member, channel="trigger").count() == 1


def test_members_are_invited_n_days_after_joining_once():
    survey = SurveyFactory(trigger="days_after_joining", trigger_days=30)
    QuestionFactory(survey=survey)
    now = timezone.now()
    due = MemberFactory(joined_at=now - datetime.timedelta(days=31))
    MemberFactory(joined_at=now - datetime.timedelta(days=5))  # too new
    MemberFactory(joined_at=now - datetime.timedelta(days=90))  # long past the window

    assert surveys_after_joining(now=now) == 1
    assert surveys_after_joining(now=now) == 0
    assert list(Invitation.objects.values_list("member", flat=True)) == [due.pk]


def test_home_card_shows_a_waiting_survey(rf: RequestFactory):
    member = MemberFactory()
    survey, *_rest = nps_survey()
    cards = [c for c in home_cards(rf.get("/"), member) if c.key == "feedback.survey"]
    assert cards == []
    InvitationFactory(survey=survey, member=member)
    cards = [c for c in home_cards(rf.get("/"), member) if c.key == "feedback.survey"]
    assert cards and cards[0].context["url"].startswith("/s/")


def test_dashboard_tiles_give_nps_and_overdue_cases(rf: RequestFactory):
    _answer(MemberFactory(), 10)
    _answer(MemberFactory(), 9)
    _answer(MemberFactory(), 0)
    now = timezone.now()
    period = Period(
        start=now - datetime.timedelta(days=30),
        end=now + datetime.timedelta(minutes=1),
        key="30d",
        label="30",
    )
    tiles = {t.key: t for t in dashboard_tiles()}

    nps = tiles["feedback.nps"].data(rf.get("/"), period)
    assert nps["figures"][0]["display"] == "+33"
    cases = tiles["feedback.cases"].data(rf.get("/"), period)
    assert [f["value"] for f in cases["figures"]] == [1, 0]
