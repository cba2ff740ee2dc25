"""What badges and challenges count: a registry of metrics, each computed set-based in SQL.

A metric is `func(*, member_ids, since, until) -> QuerySet` of rows with two keys, `member_id`
and `value` (an integer), one row per member with something to count (members without rows
count 0). `member_ids` (a list or a queryset of ids, or None for every member) restricts the
members; `since`/`until` (datetimes or None) restrict what is counted to a window, which
challenges use (a metric for which a window means nothing, like membership years, ignores it).
The queryset must stay lazy, so callers can filter it (`value__gte=…`, a HAVING clause) and use
it as a subquery: awarding a badge to 100 000 members is a handful of queries.

Rewards registers purchases, points earned, membership years and redemptions below. Other apps
register their own in their AppConfig.ready(), importing only this module, e.g. events:

    from rewards.metrics import badge_metric_register
    badge_metric_register(
        "events_attended", _("Events attended"),
        lambda *, member_ids, since, until: Registration.objects.filter(checked_in=True, ...)
            .values("member_id").annotate(value=Count("id")),
    )

and forums "accepted_answers" the same way. A badge or challenge whose metric key is not (or no
longer) registered is skipped, never an error.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import Case, Count, F, IntegerField, QuerySet, Sum, Value, When
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from members.models import Member, Purchase
from rewards.models import PointsEntry, Redemption

MetricFunc = Callable[..., QuerySet[Any]]
MAX_MEMBERSHIP_YEARS = 50


@dataclass(frozen=True)
class BadgeMetric:
    key: str
    label: str | Promise
    func: MetricFunc


_metrics: dict[str, BadgeMetric] = {}


def badge_metric_register(key: str, label: str | Promise, func: MetricFunc) -> MetricFunc:
    """Register (or replace) the metric `key`. Returns `func`."""
    _metrics[key] = BadgeMetric(key=key, label=label, func=func)
    return func


def badge_metric_get(key: str) -> BadgeMetric | None:
    return _metrics.get(key)


def badge_metric_choices() -> list[tuple[str, str | Promise]]:
    return [(metric.key, metric.label) for metric in _metrics.values()]


def badge_metric_rows(
    *,
    key: str,
    member_ids: Iterable[int] | QuerySet[Any] | None = None,
    since: datetime.datetime | None = None,
    until: datetime.datetime | None = None,
) -> QuerySet[Any] | None:
    """The lazy (member_id, value) rows of a registered metric; None when `key` is unknown."""
    metric = _metrics.get(key)
    if metric is None:
        return None
    if member_ids is not None and not isinstance(member_ids, QuerySet):
        member_ids = list(member_ids)
    return metric.func(member_ids=member_ids, since=since, until=until)


def _window(qs: QuerySet[Any], field: str, since, until, member_ids) -> QuerySet[Any]:
    if member_ids is not None:
        qs = qs.filter(member_id__in=member_ids)
    if since is not None:
        qs = qs.filter(**{f"{field}__gte": since})
    if until is not None:
        qs = qs.filter(**{f"{field}__lt": until})
    return qs


# --- The metrics rewards registers -------------------------------------------------------------


def purchases_count(*, member_ids=None, since=None, until=None) -> QuerySet[Any]:
    """Purchases (not returns) online and in store."""
    qs = Purchase.objects.filter(original__isnull=True).order_by()
    return (
        _window(qs, "purchased_at", since, until, member_ids)
        .values("member_id")
        .annotate(value=Count("id"))
    )


def points_earned(*, member_ids=None, since=None, until=None) -> QuerySet[Any]:
    """Points earned (earn entries, before anything was spent)."""
    qs = PointsEntry.objects.filter(kind=PointsEntry.Kind.EARN).order_by()
    return (
        _window(qs, "created_at", since, until, member_ids)
        .values("member_id")
        .annotate(value=Sum("amount"))
    )


def membership_years(*, member_ids=None, since=None, until=None) -> QuerySet[Any]:
    """Whole years since the member joined (the window is ignored): a CASE over the years, so
    it runs the same on SQLite and PostgreSQL."""
    now = timezone.now()
    whens = []
    for years in range(MAX_MEMBERSHIP_YEARS, 0, -1):
        try:
            cutoff = now.replace(year=now.year - years)
        except ValueError:  # 29 February
            cutoff = now.replace(year=now.year - years, day=28)
        whens.append(When(joined_at__lte=cutoff, then=Value(years)))
    qs = Member.objects.not_erased()
    if member_ids is not None:
        qs = qs.filter(pk__in=member_ids)
    return (
        qs.order_by()
        .annotate(
            member_id=F("pk"), value=Case(*whens, default=Value(0), output_field=IntegerField())
        )
        .values("member_id", "value")
    )


def redemptions_count(*, member_ids=None, since=None, until=None) -> QuerySet[Any]:
    """Rewards chosen from the catalogue (not cancelled)."""
    qs = Redemption.objects.exclude(status=Redemption.Status.CANCELLED).order_by()
    return (
        _window(qs, "created_at", since, until, member_ids)
        .values("member_id")
        .annotate(value=Count("id"))
    )


badge_metric_register("purchases", _("Purchases"), purchases_count)
badge_metric_register("points_earned", _("Points earned"), points_earned)
badge_metric_register("membership_years", _("Years as a member"), membership_years)
badge_metric_register("redemptions", _("Rewards chosen"), redemptions_count)
