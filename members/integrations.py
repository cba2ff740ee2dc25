"""What members adds to core's registries, so core never names members:

- the back office: where its admin models are filed (core.dashboard groups, the club's pages
  under Settings) and its dashboard tiles (members, retention, value, purchases);
- the portal: links to the membership card and my purchases, and cards on the member home (the
  membership card with its barcode and QR code, a nudge to complete the profile).

`register()` is called once from MembersConfig.ready()."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.audit import audit_action_register
from core.dashboard import (
    Period,
    backoffice_model_register,
    dashboard_tile_register,
    money,
    percent,
    period_weeks,
    tile_memo,
    week_label,
    weekly_values,
)
from core.home import home_card_register
from core.navigation import portal_nav_register
from members.models import Member, Purchase
from members.selectors.dashboard import (
    ACTIVE_DAYS,
    HIGH_CHURN_RISK,
    dashboard_member_figures,
    dashboard_purchases_per_week,
    dashboard_retention,
    dashboard_value,
)
from members.services.profiles import PROFILE_COMPLETE_FIELDS

SCORES_PERMISSION = "members.view_memberscore"  # marketers and club admins, not the till


def _date(moment) -> str:
    return timezone.localdate(moment).isoformat()


def members_tile(request: HttpRequest, period: Period) -> dict[str, Any]:
    figures = tile_memo(
        request,
        f"members:{period.key}",
        lambda: dashboard_member_figures(start=period.start, end=period.end),
    )
    weeks = period_weeks(period)
    members_url = reverse("admin:members_member_changelist")
    return {
        "figures": [
            {"label": _("Members"), "value": figures.total, "url": members_url},
            {
                "label": _("New"),
                "value": figures.new,
                "url": f"{members_url}?joined_at__gte={_date(period.start)}",
                "hint": period.label,
            },
            {
                "label": _("Active"),
                "value": figures.active,
                "url": reverse("admin:members_purchase_changelist")
                + f"?purchased_at__gte={_date(period.end - timedelta(days=ACTIVE_DAYS))}",
                "hint": _("bought in the last %(days)d days") % {"days": ACTIVE_DAYS},
            },
        ],
        "chart": {
            "type": "bar",
            "labels": [week_label(week) for week in weeks],
            "series": [
                {"name": _("New members"), "values": weekly_values(weeks, figures.new_per_week)}
            ],
        },
    }


def retention_tile(request: HttpRequest, period: Period) -> dict[str, Any]:
    figures = tile_memo(
        request,
        f"retention:{period.key}",
        lambda: dashboard_retention(start=period.start, end=period.end),
    )
    scores_url = reverse("admin:members_memberscore_changelist")
    average = figures.average_churn_risk
    return {
        "figures": [
            {
                "label": _("Retention"),
                "value": figures.retention_rate,
                "display": percent(figures.retention_rate),
                "url": reverse("admin:members_purchase_changelist")
                + f"?purchased_at__gte={_date(period.start)}",
                "hint": _("of %(count)s buyers in the period before bought again")
                % {"count": number_format(figures.buyers_before, force_grouping=True)},
            },
            {
                "label": _("High churn risk"),
                "value": figures.high_churn_risk,
                "url": f"{scores_url}?o=-7",  # by churn risk, highest first
                "hint": _("churn risk %(risk)s or more")
                % {"risk": number_format(HIGH_CHURN_RISK, 1)},
            },
            {
                "label": _("Average churn risk"),
                "value": average,
                "display": percent(float(average)) if average is not None else "–",
                "url": scores_url,
            },
        ],
    }


def value_tile(request: HttpRequest, period: Period) -> dict[str, Any]:
    figures = tile_memo(request, "value", dashboard_value)
    scores_url = reverse("admin:members_memberscore_changelist")
    return {
        "figures": [
            {
                "label": _("Customer lifetime value"),
                "value": figures.clv_average,
                "display": money(figures.clv_average),
                "url": scores_url,
                "hint": _("average of %(count)s customers")
                % {"count": number_format(figures.customers, force_grouping=True)},
            },
            {
                "label": _("Predicted, next 12 months"),
                "value": figures.clv_predicted_average,
                "display": money(figures.clv_predicted_average),
                "url": scores_url,
            },
            {
                "label": _("Spend, last 12 months"),
                "value": figures.spend_12m,
                "display": money(figures.spend_12m),
                "url": scores_url,
            },
        ],
        "note": _("From the member scores, recomputed nightly."),
    }


def purchases_tile(request: HttpRequest, period: Period) -> dict[str, Any]:
    rows = tile_memo(
        request,
        f"purchases:{period.key}",
        lambda: dashboard_purchases_per_week(start=period.start, end=period.end),
    )
    weeks = period_weeks(period)
    online = [row for row in rows if row["channel"] == Purchase.Channel.ONLINE]
    store = [row for row in rows if row["channel"] == Purchase.Channel.STORE]
    url = reverse("admin:members_purchase_changelist") + f"?purchased_at__gte={_date(period.start)}"
    return {
        "figures": [
            {
                "label": _("Online"),
                "value": sum(row["count"] for row in online),
                "url": f"{url}&channel__exact=online",
                "hint": money(sum(row["amount"] or 0 for row in online)),
            },
            {
                "label": _("In store"),
                "value": sum(row["count"] for row in store),
                "url": f"{url}&channel__exact=store",
                "hint": money(sum(row["amount"] or 0 for row in store)),
            },
        ],
        "chart": {
            "type": "bar",
            "labels": [week_label(week) for week in weeks],
            "series": [
                {"name": _("Online"), "values": weekly_values(weeks, online, value="count")},
                {"name": _("In store"), "values": weekly_values(weeks, store, value="count")},
            ],
        },
    }


MODELS = {
    "members": [
        "members.Member",
        "members.Purchase",
        "members.Segment",
        "members.SegmentSnapshot",
        "members.MemberImport",
        "members.ConsentEvent",
    ],
    "reports": ["members.MemberScore"],
    "settings": ["members.User", "members.Store", "members.Interest", "members.ConsentText"],
}


AUDIT_ACTIONS = {
    "consent_text.publish": gettext_lazy("Consent text published"),
    "member.create": gettext_lazy("Member added"),
    "member.update": gettext_lazy("Member changed"),
    "member.erase": gettext_lazy("Member erased"),
    "member.export_csv": gettext_lazy("Members exported (CSV)"),
    "member.gdpr_export": gettext_lazy("Member's data exported"),
    "member.link": gettext_lazy("Login linked to member"),
    "member_import.upload": gettext_lazy("Import file uploaded"),
    "member_import.confirm": gettext_lazy("Import confirmed"),
    "member_import.cancel": gettext_lazy("Import cancelled"),
    "purchases.ingest": gettext_lazy("Purchases received"),
    "segment.create": gettext_lazy("Segment created"),
    "segment.update": gettext_lazy("Segment changed"),
    "segment.snapshot": gettext_lazy("Segment snapshot frozen"),
    "segment.export_csv": gettext_lazy("Segment exported (CSV)"),
    "segment.export_ad_match": gettext_lazy("Segment exported for ad platforms"),
}


FIELD_LABELS = {
    "first_name": gettext_lazy("first name"),
    "last_name": gettext_lazy("last name"),
    "email": gettext_lazy("e-mail address"),
    "phone": gettext_lazy("mobile phone"),
    "birth_date": gettext_lazy("birth date"),
    "postcode": gettext_lazy("postcode"),
}


def membership_card(request: HttpRequest, member: Member) -> dict[str, Any] | None:
    return {"member": member}


def profile_nudge(request: HttpRequest, member: Member) -> dict[str, Any] | None:
    """The fields still missing from the profile, or None (no card) when it is complete."""
    missing = [FIELD_LABELS[name] for name in PROFILE_COMPLETE_FIELDS if not getattr(member, name)]
    if not missing:
        return None
    return {"missing": missing, "total": len(PROFILE_COMPLETE_FIELDS)}


def register() -> None:
    for action, label in AUDIT_ACTIONS.items():
        audit_action_register(action, label)
    for group, models in MODELS.items():
        for order, model in enumerate(models):
            backoffice_model_register(model=model, group=group, order=10 * (order + 1))
    tile = dashboard_tile_register
    tile(
        key="members",
        title=gettext_lazy("Members"),
        group="members",
        data=members_tile,
        permission=SCORES_PERMISSION,
        order=10,
    )
    tile(
        key="retention",
        title=gettext_lazy("Retention and churn risk"),
        group="members",
        data=retention_tile,
        permission=SCORES_PERMISSION,
        order=20,
    )
    tile(
        key="value",
        title=gettext_lazy("Customer lifetime value"),
        group="reports",
        data=value_tile,
        permission=SCORES_PERMISSION,
        order=10,
    )
    tile(
        key="purchases",
        title=gettext_lazy("Purchases online and in store"),
        group="members",
        data=purchases_tile,
        permission=SCORES_PERMISSION,
        order=30,
    )
    backoffice_model_register(model="members.ClubPage", group="settings")
    portal_nav_register(label=gettext_lazy("My card"), url_name="members:card", order=15)
    portal_nav_register(label=gettext_lazy("My purchases"), url_name="members:purchases", order=45)
    home_card_register(
        key="members.profile_nudge",
        template="members/home/_profile_nudge.html",
        context=profile_nudge,
        order=5,
    )
    home_card_register(
        key="members.card",
        template="members/home/_card.html",
        context=membership_card,
        order=10,
    )
