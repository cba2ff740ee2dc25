"""The A/B and holdout report: per variant and for the holdout, how many were targeted, sent,
delivered, opened, clicked, converted and unsubscribed, the revenue, and the uplift of each
variant's conversion rate over the holdout's with a 95 % confidence interval (Newcombe).

Groups are compared as assigned (everyone the outbox put in a group, whether or not the rules
then let the message go), so the holdout, which is assigned the same way, is a fair control.
A conversion is the campaign's goal happening within `goal_window_days` after the message was
sent (for the holdout and unsent messages: after the campaign started). One query for the lot.
"""

from __future__ import annotations

import datetime
import math
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from django.db.models import (
    Case,
    Count,
    DateTimeField,
    DecimalField,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce

from campaigns.goals import goal_query
from campaigns.models import Campaign, Message, MessageTally
from members.models import Purchase

Z95 = 1.96


@dataclass(frozen=True)
class Uplift:
    difference: float  # conversion rate minus the holdout's, in percentage points
    low: float
    high: float

    @property
    def significant(self) -> bool:
        return self.low > 0 or self.high < 0


@dataclass(frozen=True)
class GroupResult:
    label: str
    is_holdout: bool
    targeted: int
    sent: int
    delivered: int
    opened: int
    clicked: int
    converted: int
    unsubscribed: int
    revenue: Decimal
    uplift: Uplift | None = None

    @property
    def conversion_rate(self) -> float:
        return 100.0 * self.converted / self.targeted if self.targeted else 0.0

    @property
    def open_rate(self) -> float:
        return 100.0 * self.opened / self.sent if self.sent else 0.0

    @property
    def click_rate(self) -> float:
        return 100.0 * self.clicked / self.sent if self.sent else 0.0


def _wilson(successes: int, n: int) -> tuple[float, float]:
    p = successes / n
    z2 = Z95 * Z95
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = Z95 * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / (1 + z2 / n)
    return centre - half, centre + half


def uplift(*, converted: int, targeted: int, control_converted: int, control: int) -> Uplift | None:
    """The difference of two conversion rates with Newcombe's 95 % interval (from the Wilson
    intervals of each rate): unlike the textbook normal approximation it stays honest for small
    groups and rates near 0 or 1."""
    if not targeted or not control:
        return None
    p1, p2 = converted / targeted, control_converted / control
    low1, high1 = _wilson(converted, targeted)
    low2, high2 = _wilson(control_converted, control)
    diff = p1 - p2
    low = diff - math.sqrt((p1 - low1) ** 2 + (high2 - p2) ** 2)
    high = diff + math.sqrt((high1 - p1) ** 2 + (p2 - low2) ** 2)
    return Uplift(difference=100 * diff, low=100 * low, high=100 * high)


def _window(campaign: Campaign):
    start = Coalesce(F("sent_at"), Value(campaign.started_at), output_field=DateTimeField())
    end = ExpressionWrapper(
        start + Value(datetime.timedelta(days=campaign.goal_window_days)),
        output_field=DateTimeField(),
    )
    return start, end


def _converted_q(campaign: Campaign) -> Q | None:
    if campaign.goal_kind == Campaign.Goal.CLICK:
        return Q(clicked_at__isnull=False)
    query = goal_query(campaign.goal_kind)
    if query is None or campaign.started_at is None:
        return None
    # The window is annotated on the messages as _start/_end (campaign_report).
    return Q(
        query(member_ref=OuterRef("member_id"), start=OuterRef("_start"), end=OuterRef("_end"))
    )


def campaign_report(*, campaign: Campaign) -> list[GroupResult]:
    """One row per variant (by name), then the holdout, with the uplift over the holdout."""
    converted_q = _converted_q(campaign)
    rows = Message.objects.filter(campaign=campaign)
    revenue: Any = Value(Decimal(0))
    if campaign.started_at is not None:
        start, end = _window(campaign)
        revenue = Coalesce(
            Subquery(
                Purchase.objects.filter(
                    member_id=OuterRef("member_id"),
                    purchased_at__gte=OuterRef("_start"),
                    purchased_at__lt=OuterRef("_end"),
                )
                .order_by()
                .values("member_id")
                .annotate(s=Sum("amount"))
                .values("s")[:1]
            ),
            Value(Decimal(0)),
            output_field=DecimalField(max_digits=14, decimal_places=2),
        )
        rows = rows.annotate(_start=start, _end=end)
    rows = rows.annotate(
        _revenue=revenue,
        _converted=Case(When(converted_q, then=Value(1)), default=Value(0))
        if converted_q is not None
        else Value(0),
    )
    grouped = (
        rows.values("is_holdout", "variant__name")
        .annotate(
            targeted=Count("pk"),
            sent=Count("pk", filter=Q(state=Message.State.SENT)),
            delivered=Count("pk", filter=Q(delivered_at__isnull=False)),
            opened=Count("pk", filter=Q(opened_at__isnull=False)),
            clicked=Count("pk", filter=Q(clicked_at__isnull=False)),
            unsubscribed=Count("pk", filter=Q(unsubscribed_at__isnull=False)),
            converted=Sum("_converted"),
            revenue=Sum("_revenue"),
        )
        .order_by("is_holdout", "variant__name")
    )
    results = [
        GroupResult(
            label=row["variant__name"] or "",
            is_holdout=row["is_holdout"],
            targeted=row["targeted"],
            sent=row["sent"],
            delivered=row["delivered"],
            opened=row["opened"],
            clicked=row["clicked"],
            converted=row["converted"] or 0,
            unsubscribed=row["unsubscribed"],
            revenue=Decimal(row["revenue"] or 0),
        )
        for row in grouped
    ]
    results = _with_tallies(campaign, results)
    control = next((r for r in results if r.is_holdout), None)
    if control is None:
        return results
    return [
        r
        if r.is_holdout
        else replace(
            r,
            uplift=uplift(
                converted=r.converted,
                targeted=r.targeted,
                control_converted=control.converted,
                control=control.targeted,
            ),
        )
        for r in results
    ]


def _with_tallies(campaign: Campaign, results: list[GroupResult]) -> list[GroupResult]:
    """Add what erased members' deleted messages counted for (MessageTally)."""
    tallies = (
        MessageTally.objects.filter(campaign=campaign)
        .values("is_holdout", "variant__name")
        .annotate(
            targeted=Sum("targeted"),
            sent=Sum("sent"),
            delivered=Sum("delivered"),
            opened=Sum("opened"),
            clicked=Sum("clicked"),
            unsubscribed=Sum("unsubscribed"),
        )
        .order_by()
    )
    by_group = {(r.is_holdout, r.label): r for r in results}
    for tally in tallies:
        key = (tally["is_holdout"], tally["variant__name"] or "")
        base = by_group.get(key) or GroupResult(
            label=key[1],
            is_holdout=key[0],
            targeted=0,
            sent=0,
            delivered=0,
            opened=0,
            clicked=0,
            converted=0,
            unsubscribed=0,
            revenue=Decimal(0),
        )
        by_group[key] = replace(
            base,
            **{
                name: getattr(base, name) + (tally[name] or 0)
                for name in ("targeted", "sent", "delivered", "opened", "clicked", "unsubscribed")
            },
        )
    return sorted(by_group.values(), key=lambda r: (r.is_holdout, r.label))


def campaign_progress(*, campaign: Campaign) -> dict[str, int]:
    """Counts per state, for the progress bar (one query)."""
    counts = dict(
        Message.objects.filter(campaign=campaign)
        .values_list("state")
        .annotate(n=Count("pk"))
        .order_by()
    )
    total = sum(counts.values())
    done = total - sum(counts.get(s, 0) for s in ("queued", "claimed", "sending"))
    return {
        "total": total,
        "done": done,
        "percent": round(100 * done / total) if total else 0,
        **{state: counts.get(state, 0) for state in Message.State.values},
    }
