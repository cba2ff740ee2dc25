"""Forum figures for staff: posts and flags per week, the share of questions answered and
solved, median time to a first answer and to an accepted answer, top helpers. Each a handful of
set-based queries, whatever the size of the forums."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db import connection
from django.db.models import Count, DurationField, ExpressionWrapper, F, Q
from django.db.models.functions import TruncWeek

from forums.models import Flag, Post, Topic

from .topics import top_helpers


@dataclass
class ForumFigures:
    questions: int
    answered: int
    solved: int
    median_first_answer: datetime.timedelta | None
    median_accepted: datetime.timedelta | None
    posts_per_week: list[tuple[str, int]]
    flags_per_week: list[tuple[str, int]]
    helpers: list[dict]

    @property
    def answered_share(self) -> float:
        return self.answered / self.questions if self.questions else 0.0

    @property
    def solved_share(self) -> float:
        return self.solved / self.questions if self.questions else 0.0


def _median(durations) -> datetime.timedelta | None:
    """The median of a queryset of durations: percentile_cont on PostgreSQL, in Python else."""
    if connection.vendor == "postgresql":
        sql, params = durations.query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY EXTRACT(EPOCH FROM d.wait)) "  # noqa: S608 - ORM SQL
                f"FROM ({sql}) d",
                params,
            )
            (seconds,) = cursor.fetchone()
        return datetime.timedelta(seconds=float(seconds)) if seconds is not None else None
    values = sorted(durations.values_list("wait", flat=True))
    if not values:
        return None
    middle = len(values) // 2
    if len(values) % 2:
        return values[middle]
    return (values[middle - 1] + values[middle]) / 2


def _per_week(queryset, field: str) -> list[tuple[str, int]]:
    rows = (
        queryset.annotate(week=TruncWeek(field))
        .values("week")
        .annotate(n=Count("id"))
        .order_by("week")
    )
    return [(f"{row['week']:%G-W%V}", row["n"]) for row in rows if row["week"] is not None]


def forum_figures(*, start: datetime.datetime, end: datetime.datetime) -> ForumFigures:
    """Figures for questions asked and posts written in [start, end)."""
    questions = Topic.objects.filter(
        kind=Topic.Kind.QUESTION, created_at__gte=start, created_at__lt=end, merged_into=None
    )
    counts = questions.aggregate(
        total=Count("id"),
        answered=Count("id", filter=Q(first_answer_at__isnull=False)),
        solved=Count("id", filter=Q(solved_at__isnull=False)),
    )
    first_answer = (
        questions.filter(first_answer_at__isnull=False)
        .annotate(wait=ExpressionWrapper(F("first_answer_at") - F("created_at"), DurationField()))
        .values("wait")
    )
    accepted = (
        questions.filter(solved_at__isnull=False)
        .annotate(wait=ExpressionWrapper(F("solved_at") - F("created_at"), DurationField()))
        .values("wait")
    )
    return ForumFigures(
        questions=counts["total"],
        answered=counts["answered"],
        solved=counts["solved"],
        median_first_answer=_median(first_answer),
        median_accepted=_median(accepted),
        posts_per_week=_per_week(
            Post.objects.filter(created_at__gte=start, created_at__lt=end), "created_at"
        ),
        flags_per_week=_per_week(
            Flag.objects.filter(created_at__gte=start, created_at__lt=end), "created_at"
        ),
        helpers=top_helpers(since=start, limit=5),
    )
