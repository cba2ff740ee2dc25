"""NPS and satisfaction figures, computed in the database.

NPS = % promoters (9–10) − % detractors (0–6), over the members who answered the NPS question;
responses that skipped it are counted apart ("skips") and never in the denominator. Its 95 %
confidence interval uses the variance of the difference of two proportions from one sample:
var = (p + d − (p − d)²) / n, interval = NPS ± 1.96·√var·100.
"""

from __future__ import annotations

import datetime
import math
from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet

from feedback.models import FollowUpCase, Question, Response

PROMOTER = Q(nps__gte=9)
DETRACTOR = Q(nps__lte=6)
ANSWERED = Q(nps__isnull=False)
# Surveys that ask NPS: only their responses count (and only they can have skipped it).
_ASKS_NPS = Q(survey_id__in=Question.objects.filter(kind="nps").values("survey_id"))


@dataclass(frozen=True)
class Nps:
    promoters: int
    passives: int
    detractors: int
    skips: int = 0

    @property
    def answered(self) -> int:
        return self.promoters + self.passives + self.detractors

    @property
    def score(self) -> float | None:
        if not self.answered:
            return None
        return 100.0 * (self.promoters - self.detractors) / self.answered

    @property
    def margin(self) -> float | None:
        """Half the width of the 95 % confidence interval, in NPS points."""
        n = self.answered
        if not n:
            return None
        p, d = self.promoters / n, self.detractors / n
        variance = max(p + d - (p - d) ** 2, 0.0) / n
        return 196.0 * math.sqrt(variance)

    @property
    def low(self) -> float | None:
        return None if self.score is None else max(-100.0, self.score - (self.margin or 0))

    @property
    def high(self) -> float | None:
        return None if self.score is None else min(100.0, self.score + (self.margin or 0))


_COUNTS = {
    "promoters": Count("pk", filter=PROMOTER),
    "passives": Count("pk", filter=Q(nps__in=[7, 8])),
    "detractors": Count("pk", filter=DETRACTOR),
    "skips": Count("pk", filter=~ANSWERED),
}


def _responses(
    *, survey_id: int | None = None, since=None, until=None, queryset=None
) -> QuerySet[Response]:
    qs = queryset if queryset is not None else Response.objects.all()
    if survey_id is not None:
        qs = qs.filter(survey_id=survey_id)
    if since is not None:
        qs = qs.filter(submitted_at__gte=since)
    if until is not None:
        qs = qs.filter(submitted_at__lt=until)
    return qs


def nps_summary(*, survey_id: int | None = None, since=None, until=None) -> Nps:
    row = (
        _responses(survey_id=survey_id, since=since, until=until)
        .filter(_ASKS_NPS)
        .aggregate(**_COUNTS)
    )
    return Nps(**row)


@dataclass(frozen=True)
class NpsPoint:
    label: str
    key: object
    nps: Nps


def nps_trend(*, survey_id: int | None = None, since=None, until=None) -> list[NpsPoint]:
    """NPS by calendar month (in the club's time zone, stored with each answer), oldest first."""
    rows = (
        _responses(survey_id=survey_id, since=since, until=until)
        .filter(_ASKS_NPS)
        .values("month")
        .annotate(**_COUNTS)
        .order_by("month")
    )
    points = []
    for row in rows:
        month: datetime.date = row["month"]
        counts = {key: row[key] for key in _COUNTS}  # type: ignore[literal-required]
        points.append(NpsPoint(label=month.strftime("%Y-%m"), key=month, nps=Nps(**counts)))
    return points


BREAKDOWNS = {
    "tier": "tier",
    "store": "store__name",
    "channel": "channel",
}


def nps_breakdown(
    *, by: str, survey_id: int | None = None, since=None, until=None
) -> list[NpsPoint]:
    """NPS by tier, store or channel (as they were when the member answered)."""
    field = BREAKDOWNS[by]
    rows = (
        _responses(survey_id=survey_id, since=since, until=until)
        .filter(_ASKS_NPS)
        .values(field)
        .annotate(**_COUNTS)
        .order_by(field)
    )
    return [NpsPoint(label=str(row.pop(field) or "—"), key=None, nps=Nps(**row)) for row in rows]


def nps_for_members(*, member_ids, survey_id: int | None = None, since=None, until=None) -> Nps:
    """NPS over the answers of some members (a segment's, an event's attendees')."""
    row = (
        _responses(survey_id=survey_id, since=since, until=until)
        .filter(_ASKS_NPS, member_id__in=member_ids)
        .aggregate(**_COUNTS)
    )
    return Nps(**row)


def cases_open(*, now=None) -> QuerySet[FollowUpCase]:
    return FollowUpCase.objects.filter(status=FollowUpCase.Status.OPEN).select_related(
        "owner", "member", "response__survey"
    )
