"""Prove the events' books: no event holds more seats than its capacity, every event's stored
seat count equals its registrations, and every points price paid or refunded equals the ledger."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.contenttypes.models import ContentType
from django.db.models import Count, F, IntegerField, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from events.models import Event, Registration
from rewards.models import PointsEntry


@dataclass(frozen=True)
class Problem:
    kind: str  # "event" or "registration"
    pk: int
    problem: str


def _sum(qs, expression) -> Subquery:
    return Subquery(
        qs.order_by().values("member").annotate(total=Sum(expression)).values("total")[:1],
        output_field=IntegerField(),
    )


def events_reconcile() -> list[Problem]:
    problems: list[Problem] = []
    holds = Q(registrations__status__in=Registration.HOLDS_SEAT)
    events = Event.objects.annotate(
        rows=Count("registrations", filter=holds),
        guests=Coalesce(Sum("registrations__guests", filter=holds), 0),
    ).values("pk", "capacity", "seats_taken", "rows", "guests")
    for row in events:
        counted = row["rows"] + row["guests"]
        if counted > row["capacity"]:
            problems.append(
                Problem("event", row["pk"], f"{counted} seats taken, capacity {row['capacity']}")
            )
        if counted != row["seats_taken"]:
            problems.append(
                Problem(
                    "event",
                    row["pk"],
                    f"stored seat count {row['seats_taken']}, registrations hold {counted}",
                )
            )
    registration_type = ContentType.objects.get_for_model(Registration)
    debits = PointsEntry.objects.filter(
        cause_type=registration_type, cause_id=OuterRef("pk"), kind=PointsEntry.Kind.REDEEM
    )
    refunds = PointsEntry.objects.filter(
        kind=PointsEntry.Kind.REVERSE,
        reverses__cause_type=registration_type,
        reverses__cause_id=OuterRef("pk"),
    )
    registrations = (
        Registration.objects.filter(
            Q(points_paid__gt=0) | Q(points_refunded__gt=0) | Q(payments__gt=0)
        )
        .annotate(
            ledger_paid=Coalesce(_sum(debits, -F("amount")), Value(0)),
            ledger_refunded=Coalesce(_sum(refunds, F("amount") - F("debt_change")), Value(0)),
        )
        .values("pk", "points_paid", "points_refunded", "ledger_paid", "ledger_refunded")
    )
    for paid in registrations:
        if paid["points_paid"] != paid["ledger_paid"]:
            problems.append(
                Problem(
                    "registration",
                    paid["pk"],
                    f"points paid {paid['points_paid']}, ledger {paid['ledger_paid']}",
                )
            )
        if paid["points_refunded"] != paid["ledger_refunded"]:
            problems.append(
                Problem(
                    "registration",
                    paid["pk"],
                    f"points refunded {paid['points_refunded']}, ledger {paid['ledger_refunded']}",
                )
            )
    return problems
