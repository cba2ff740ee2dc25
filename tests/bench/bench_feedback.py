"""NPS at scale: 100 000 survey answers (spread over two years, tiers and stores as the demo
club has them), then the NPS trend by month and the NPS by tier, each timed best of 5 after a
warm-up. Target: under 200 ms each (issue 15)."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.db import connection

from feedback.models import Question, Survey
from feedback.selectors.nps import nps_breakdown, nps_trend

ANSWERS = 100_000
RUNS = 5
TARGET_SECONDS = 0.2


def _best_of(func: Callable[[], object]) -> float:
    func()
    best = float("inf")
    for _run in range(RUNS):
        started = time.perf_counter()
        func()
        best = min(best, time.perf_counter() - started)
    return best


def _answers(survey: Survey) -> None:
    """100 000 responses in one INSERT … SELECT: scores 0–10 (a few skipped), two years of
    dates, the demo's tier names and stores."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO feedback_response
                (survey_id, submitted_at, month, nps, csat, tier, store_id, channel, member_id)
            SELECT %(survey)s, at, date_trunc('month', at AT TIME ZONE %(zone)s)::date,
                   CASE WHEN random() < 0.03 THEN NULL ELSE floor(random() * 11)::int END,
                   NULL,
                   (ARRAY['Bas', 'Silver', 'Guld'])[1 + floor(random() * 3)::int],
                   (SELECT id FROM members_store ORDER BY random() + g * 0 LIMIT 1),
                   (ARRAY['email', 'portal', 'trigger'])[1 + floor(random() * 3)::int],
                   NULL
            FROM generate_series(1, %(n)s) AS g,
                 LATERAL (
                     SELECT now() - random() * interval '730 days' + g * interval '0'
                 ) AS t(at)
            """,
            {"survey": survey.pk, "n": ANSWERS, "zone": settings.TIME_ZONE},
        )
        cursor.execute("ANALYZE feedback_response")


def run(ctx) -> None:
    ctx.print(f"Feedback: {ANSWERS} survey answers")
    survey = Survey.objects.create(title_sv="Bench", title_en="Bench", status="open")
    Question.objects.create(survey=survey, order=1, kind="nps", text_sv="NPS", text_en="NPS")
    with ctx.timed("feedback: 100 000 answers inserted", target=60.0):
        _answers(survey)
    months = len(nps_trend())
    ctx.record(
        f"feedback: NPS trend by month ({months} months, 100 000 answers)",
        _best_of(nps_trend),
        TARGET_SECONDS,
    )
    ctx.record(
        "feedback: NPS by tier (100 000 answers)",
        _best_of(lambda: nps_breakdown(by="tier")),
        TARGET_SECONDS,
    )
