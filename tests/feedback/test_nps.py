"""NPS over a fixture, checked against the value computed by hand; skips are not counted."""

import datetime

import pytest
from django.utils import timezone

from feedback.models import Response
from feedback.selectors.nps import Nps, nps_breakdown, nps_summary, nps_trend

from .factories import QuestionFactory, SurveyFactory

pytestmark = pytest.mark.django_db


def _answers(survey, scores, *, when=None, tier=""):
    when = when or timezone.now()
    Response.objects.bulk_create(
        Response(
            survey=survey,
            nps=score,
            submitted_at=when,
            month=Response.month_of(when),
            tier=tier,
            channel="email",
        )
        for score in scores
    )


def test_nps_equals_the_hand_computed_value_with_skips_apart():
    survey = SurveyFactory()
    QuestionFactory(survey=survey, kind="nps")
    # 5 promoters (9, 10), 3 passives (7, 8), 2 detractors (0–6), 4 skipped the question
    _answers(survey, [9, 10, 10, 9, 9, 7, 8, 7, 0, 6, None, None, None, None])

    nps = nps_summary(survey_id=survey.pk)

    # by hand: (5 − 2) / 10 = +30; the 4 skips are not in the denominator
    assert (nps.promoters, nps.passives, nps.detractors, nps.skips) == (5, 3, 2, 4)
    assert nps.score == pytest.approx(30.0)


def test_the_confidence_interval_by_hand():
    nps = Nps(promoters=50, passives=30, detractors=20)
    # p=.5, d=.2: var = (.5 + .2 − .09) / 100 = .0061; margin = 1.96·√.0061·100 ≈ 15.31
    assert nps.margin == pytest.approx(15.308, abs=0.01)
    assert (nps.low, nps.high) == (pytest.approx(14.69, abs=0.01), pytest.approx(45.31, abs=0.01))
    assert Nps(0, 0, 0).score is None


def test_surveys_without_an_nps_question_do_not_count():
    csat_only = SurveyFactory()
    QuestionFactory(survey=csat_only, kind="csat")
    _answers(csat_only, [None, None])
    assert nps_summary().answered == 0 and nps_summary().skips == 0


def test_trend_by_month_and_breakdown_by_tier():
    survey = SurveyFactory()
    QuestionFactory(survey=survey, kind="nps")
    january = timezone.make_aware(datetime.datetime(2026, 1, 15, 12))
    february = timezone.make_aware(datetime.datetime(2026, 2, 15, 12))
    _answers(survey, [10, 0], when=january, tier="Guld")
    _answers(survey, [10, 10, 8, 3], when=february, tier="Silver")

    trend = nps_trend(survey_id=survey.pk)
    assert [(p.label, round(p.nps.score)) for p in trend] == [("2026-01", 0), ("2026-02", 25)]
    by_tier = {p.label: round(p.nps.score) for p in nps_breakdown(by="tier")}
    assert by_tier == {"Guld": 0, "Silver": 25}
