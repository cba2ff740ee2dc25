"""A survey's results for staff: NPS and its trend with the 95 % interval (drawn as SVG by the
template from the coordinates here), the distribution of answers per question, and the response
rate per channel. A fixed number of queries whatever the number of answers."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.db.models import Count, Q

from feedback.models import Answer, Invitation, Question, Survey
from feedback.selectors.nps import nps_breakdown, nps_for_members, nps_summary, nps_trend
from members.selectors.segments import segment_list, segment_members

WIDTH, HEIGHT, PAD = 640, 220, 32


def _y(value: float) -> float:
    """NPS −100…100 to the chart's y (top is +100)."""
    return round(PAD + (100 - value) * (HEIGHT - 2 * PAD) / 200, 1)


def nps_chart(points) -> dict[str, Any] | None:
    usable = [p for p in points if p.nps.score is not None]
    if not usable:
        return None
    step = (WIDTH - 2 * PAD) / max(len(usable) - 1, 1)
    coords = []
    for i, point in enumerate(usable):
        x = round(PAD + i * step, 1)
        coords.append(
            {
                "x": x,
                "y": _y(point.nps.score),
                "low": _y(point.nps.low),
                "high": _y(point.nps.high),
                "label": point.label,
                "score": round(point.nps.score),
                "answered": point.nps.answered,
            }
        )
    line = " ".join(f"{c['x']},{c['y']}" for c in coords)
    band = (
        " ".join(f"{c['x']},{c['high']}" for c in coords)
        + " "
        + " ".join(f"{c['x']},{c['low']}" for c in reversed(coords))
    )
    return {
        "width": WIDTH,
        "height": HEIGHT,
        "points": coords,
        "line": line,
        "band": band,
        "zero": _y(0),
        "top": _y(100),
        "bottom": _y(-100),
        "left": PAD,
        "right": WIDTH - PAD,
    }


def _distribution(questions: list[Question], survey: Survey) -> list[dict[str, Any]]:
    numbers: dict[int, dict[int, int]] = defaultdict(dict)
    rows = (
        Answer.objects.filter(response__survey=survey, number__isnull=False)
        .values("question_id", "number")
        .annotate(n=Count("pk"))
    )
    for row in rows:
        if row["number"] is not None:
            numbers[row["question_id"]][row["number"]] = row["n"]
    multi: dict[int, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    for question_id, choices in Answer.objects.filter(
        response__survey=survey, question__kind=Question.Kind.MULTIPLE
    ).values_list("question_id", "choices"):
        for choice in choices:
            multi[question_id][choice] += 1
    texts = dict(
        Answer.objects.filter(response__survey=survey, question__kind=Question.Kind.TEXT)
        .exclude(text="")
        .values("question_id")
        .annotate(n=Count("pk"))
        .values_list("question_id", "n")
    )
    result: list[dict[str, Any]] = []
    for question in questions:
        if question.is_numeric:
            low, high = Question.RANGES[question.kind]
            labels = [str(n) for n in range(low, high + 1)]
            counts = [numbers[question.pk].get(n, 0) for n in range(low, high + 1)]
        elif question.kind == Question.Kind.SINGLE:
            labels = question.choices
            counts = [numbers[question.pk].get(i, 0) for i in range(1, len(labels) + 1)]
        elif question.kind == Question.Kind.MULTIPLE:
            labels = question.choices
            counts = [multi[question.pk].get(i, 0) for i in range(1, len(labels) + 1)]
        else:
            result.append({"question": question, "texts": texts.get(question.pk, 0)})
            continue
        peak = max([*counts, 1])
        total = sum(counts)
        result.append(
            {
                "question": question,
                "bars": [
                    {
                        "label": label,
                        "count": count,
                        "percent": round(100 * count / total) if total else 0,
                        "width": round(100 * count / peak),
                    }
                    for label, count in zip(labels, counts, strict=False)
                ],
                "total": total,
            }
        )
    return result


def response_rates(*, survey: Survey) -> list[dict[str, Any]]:
    rows = (
        Invitation.objects.filter(survey=survey)
        .values("channel")
        .annotate(invited=Count("pk"), answered=Count("pk", filter=Q(answered_at__isnull=False)))
        .order_by("channel")
    )
    labels = dict(Invitation.Channel.choices)
    return [
        {
            "channel": labels.get(row["channel"], row["channel"]),
            "invited": row["invited"],
            "answered": row["answered"],
            "rate": round(100 * row["answered"] / row["invited"]) if row["invited"] else 0,
        }
        for row in rows
    ]


def nps_by_segments(*, survey: Survey) -> list[dict[str, Any]]:
    """NPS among the members of each saved segment (as the segment stands now): one query per
    segment, for the handful of segments a club keeps."""
    rows = []
    for segment in segment_list():
        nps = nps_for_members(
            member_ids=segment_members(rules=segment.rules).values("pk"), survey_id=survey.pk
        )
        rows.append({"label": segment.name, "nps": nps})
    return rows


def survey_results(*, survey: Survey) -> dict[str, Any]:
    questions = list(survey.questions.order_by("order", "pk"))
    has_nps = any(q.kind == Question.Kind.NPS for q in questions)
    trend = nps_trend(survey_id=survey.pk) if has_nps else []
    return {
        "questions": questions,
        "nps": nps_summary(survey_id=survey.pk) if has_nps else None,
        "trend": trend,
        "chart": nps_chart(trend),
        "by_tier": nps_breakdown(by="tier", survey_id=survey.pk) if has_nps else [],
        "by_store": nps_breakdown(by="store", survey_id=survey.pk) if has_nps else [],
        "by_segment": nps_by_segments(survey=survey) if has_nps and not survey.anonymous else [],
        "distribution": _distribution(questions, survey),
        "rates": response_rates(survey=survey),
    }
