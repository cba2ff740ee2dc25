"""The rewards tiles on the staff dashboard (registered by rewards.integrations): points issued,
redeemed and expired per week, the liability and its trend, redemptions with the redemption rate
and the top rewards. Data shape: core.dashboard's docstring."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.dashboard import (
    Period,
    money,
    percent,
    period_weeks,
    tile_memo,
    week_label,
    weekly_values,
)
from rewards.models import PointsEntry
from rewards.selectors.dashboard import (
    dashboard_liability_now,
    dashboard_points_per_week,
    dashboard_redemptions,
)
from rewards.selectors.reports import point_value
from rewards.selectors.till import member_points_overview


def _date(moment) -> str:
    return timezone.localdate(moment).isoformat()


def _kind(rows: list[dict], kind: str, *, sign: int = 1) -> list[dict]:
    return [{**row, "total": sign * (row["total"] or 0)} for row in rows if row["kind"] == kind]


def _points_rows(request: HttpRequest, period: Period) -> list[dict]:
    """The points per week and kind, queried once per request for the three tiles using them."""
    return tile_memo(
        request,
        f"points:{period.key}",
        lambda: dashboard_points_per_week(start=period.start, end=period.end),
    )


def points_tile(request: HttpRequest, period: Period) -> dict[str, Any]:
    rows = _points_rows(request, period)
    weeks = period_weeks(period)
    issued = _kind(rows, PointsEntry.Kind.EARN)
    redeemed = _kind(rows, PointsEntry.Kind.REDEEM, sign=-1)
    expired = _kind(rows, PointsEntry.Kind.EXPIRE, sign=-1)
    url = reverse("admin:rewards_pointsentry_changelist") + (
        f"?created_at__gte={_date(period.start)}&kind__exact="
    )

    def total(items: list[dict]) -> int:
        return sum(row["total"] for row in items)

    return {
        "figures": [
            {"label": _("Issued"), "value": total(issued), "url": f"{url}earn"},
            {"label": _("Redeemed"), "value": total(redeemed), "url": f"{url}redeem"},
            {"label": _("Expired"), "value": total(expired), "url": f"{url}expire"},
        ],
        "chart": {
            "type": "bar",
            "labels": [week_label(week) for week in weeks],
            "series": [
                {"name": _("Issued"), "values": weekly_values(weeks, issued)},
                {"name": _("Redeemed"), "values": weekly_values(weeks, redeemed)},
                {"name": _("Expired"), "values": weekly_values(weeks, expired)},
            ],
        },
    }


def liability_tile(request: HttpRequest, period: Period) -> dict[str, Any]:
    """Points outstanding now; the trend is the balance at the end of each week, worked back
    from today's total through the week's net change (so no history table is needed)."""
    now = tile_memo(request, "liability", dashboard_liability_now)
    rows = _points_rows(request, period)
    weeks = period_weeks(period)
    net = weekly_values(weeks, rows)
    trend = []
    level = now.points
    for change in reversed(net):
        trend.append(level)
        level -= change
    trend.reverse()
    value = now.points * point_value()
    accounts_url = reverse("admin:rewards_pointsaccount_changelist")
    return {
        "figures": [
            {"label": _("Points outstanding"), "value": now.points, "url": accounts_url},
            {
                "label": _("Liability"),
                "value": value,
                "display": money(value),
                "url": reverse("admin:rewards_points_report"),
                "hint": _("%(value)s kr per point") % {"value": number_format(point_value(), 2)},
            },
            {"label": _("Members with points"), "value": now.members, "url": accounts_url},
        ],
        "chart": {
            "type": "line",
            "labels": [week_label(week) for week in weeks],
            "series": [{"name": _("Points outstanding"), "values": trend}],
        },
    }


def redemptions_tile(request: HttpRequest, period: Period) -> dict[str, Any]:
    count, top = tile_memo(
        request,
        f"redemptions:{period.key}",
        lambda: dashboard_redemptions(start=period.start, end=period.end),
    )
    rows = _points_rows(request, period)
    issued = sum(row["total"] or 0 for row in rows if row["kind"] == PointsEntry.Kind.EARN)
    redeemed = -sum(row["total"] or 0 for row in rows if row["kind"] == PointsEntry.Kind.REDEEM)
    rate = redeemed / issued if issued else None
    language = (request.LANGUAGE_CODE or "sv")[:2]
    url = reverse("admin:rewards_redemption_changelist")
    return {
        "figures": [
            {
                "label": _("Redemptions"),
                "value": count,
                "url": f"{url}?created_at__gte={_date(period.start)}",
                "hint": period.label,
            },
            {
                "label": _("Redemption rate"),
                "value": rate,
                "display": percent(rate),
                "url": reverse("admin:rewards_points_report"),
                "hint": _("points redeemed of points issued"),
            },
        ],
        "rows": [
            {
                "label": (row["reward__name_en"] if language == "en" else row["reward__name_sv"])
                or row["reward__name_sv"],
                "value": number_format(row["count"], force_grouping=True),
                "url": reverse("admin:rewards_reward_change", args=[row["reward_id"]]),
            }
            for row in top
        ],
        "note": _("Top rewards by redemptions in the period."),
    }


TILES = [
    ("points", gettext_lazy("Points per week"), "loyalty", points_tile),
    ("liability", gettext_lazy("Points liability"), "loyalty", liability_tile),
    ("redemptions", gettext_lazy("Redemptions and top rewards"), "loyalty", redemptions_tile),
]


def member360_points_panel(request: HttpRequest, member) -> dict[str, Any]:
    """The member 360 panel: balance, debt, tier, vouchers to use and "adjust points"."""
    overview = member_points_overview(member=member)
    can_adjust = request.user.has_perm("rewards.adjust_points") and member.status != "erased"
    return {
        "overview": overview,
        "adjust_url": (
            reverse("admin:rewards_pointsaccount_adjust", args=[member.pk]) + "?next=360"
            if can_adjust
            else ""
        ),
        "ledger_url": reverse("admin:rewards_pointsentry_changelist") + f"?q={member.number}",
        "redemptions_url": reverse("admin:rewards_redemption_changelist") + f"?q={member.number}",
    }
