"""What campaigns adds to the other apps through their registries, so none of them imports
campaigns:

- members: segment fields (received, opened or clicked a campaign within N days; unsubscribed),
  member 360 timeline entries (each message, with opens and clicks), the GDPR export
  (campaign_messages.csv) and erasure (messages deleted, their counts kept);
- core: the transactional SMS sender, staff calendar entries, dashboard tiles, back-office group;
- campaigns' own goal registry: purchases and redemptions.

`register()` is called once from CampaignsConfig.ready().
"""

from __future__ import annotations

import datetime
from typing import Any

from django.db.models import Count, Exists, IntegerField, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from campaigns.goals import goal_register
from campaigns.models import Bounce, Campaign, Message, MessageTally, Trigger
from campaigns.services.receipts import message_delivered, sms_stop_record
from campaigns.services.transactional import sms_send_transactional
from campaigns.webhooks import inbound_handler_register, receipt_handler_register
from core.calendar import CalendarEntry, calendar_provider_register
from core.dashboard import backoffice_model_register, dashboard_tile_register
from core.messaging import sms_sender_register
from members.gdpr import gdpr_eraser_register, gdpr_exporter_register, gdpr_model_covered
from members.models import ConsentEvent, Member, Purchase
from members.segments import BOOLEAN, NUMBER, SegmentField, compare_q, segment_field_register
from members.timeline import TimelineEntry, admin_url, timeline_provider_register
from rewards.models import Redemption

GROUP = _("Campaigns")


# --- Goals ---------------------------------------------------------------------------------------


def _purchase_goal(*, member_ref, start, end) -> Exists:
    return Exists(
        Purchase.objects.filter(
            member_id=member_ref, purchased_at__gte=start, purchased_at__lt=end, amount__gt=0
        )
    )


def _redemption_goal(*, member_ref, start, end) -> Exists:
    return Exists(
        Redemption.objects.filter(
            member_id=member_ref, created_at__gte=start, created_at__lt=end
        ).exclude(status=Redemption.Status.CANCELLED)
    )


# --- Segment fields ------------------------------------------------------------------------------


def _messages_field(field: str):
    """Members by how many campaign messages have `field` set (in the last N days, or ever)."""

    def build(operator: str, value: Any, params: dict[str, Any]) -> Q:
        rows = Message.objects.filter(member=OuterRef("pk"), **{f"{field}__isnull": False})
        days = params.get("days")
        if days:
            rows = rows.filter(**{f"{field}__gte": params["now"] - datetime.timedelta(days=days)})
        total = Subquery(
            rows.order_by().values("member").annotate(n=Count("pk")).values("n")[:1],
            output_field=IntegerField(),
        )
        counted = Member.objects.alias(n=Coalesce(total, Value(0))).filter(
            compare_q("n", operator, value)
        )
        return Q(pk__in=counted.values("pk"))

    return build


def _unsubscribed(operator: str, value: Any, params: dict[str, Any]) -> Q:
    q = Q(
        Exists(
            ConsentEvent.objects.filter(
                member=OuterRef("pk"), source=ConsentEvent.Source.UNSUBSCRIBE, granted=False
            )
        )
    )
    return q if value else ~q


def register_segment_fields() -> None:
    for key, label, field in (
        ("campaign_received", _("campaign messages received"), "sent_at"),
        ("campaign_opened", _("campaign messages opened"), "opened_at"),
        ("campaign_clicked", _("campaign messages clicked"), "clicked_at"),
    ):
        segment_field_register(
            SegmentField(key, label, GROUP, NUMBER, _messages_field(field), params={"days": int})
        )
    segment_field_register(
        SegmentField(
            "campaign_unsubscribed",
            _("unsubscribed through a message link"),
            GROUP,
            BOOLEAN,
            _unsubscribed,
        )
    )


# --- Timeline, GDPR ------------------------------------------------------------------------------


def messages_timeline(*, member: Member, limit: int) -> list[TimelineEntry]:
    rows = (
        Message.objects.filter(member=member)
        .exclude(state__in=[Message.State.QUEUED, Message.State.CLAIMED])
        .select_related("campaign")
        .order_by("-created_at", "-id")[:limit]
    )
    entries = []
    for row in rows:
        happened = [
            str(label)
            for label, at in (
                (_("opened"), row.opened_at),
                (_("clicked"), row.clicked_at),
                (_("unsubscribed"), row.unsubscribed_at),
            )
            if at
        ]
        if row.state == Message.State.SKIPPED:
            detail = row.get_skip_reason_display()
        else:
            detail = ", ".join([str(row.get_state_display()), *happened])
        entries.append(
            TimelineEntry(
                at=row.sent_at or row.created_at,
                kind="campaign",
                title=_("%(channel)s: %(campaign)s")
                % {"channel": row.get_channel_display(), "campaign": row.campaign.name},
                detail=detail,
                url=admin_url("admin:campaigns_campaign_change", row.campaign_id),
            )
        )
    return entries


def messages_export(*, member: Member) -> list[dict[str, Any]]:
    rows = Message.objects.filter(member=member).select_related("campaign").order_by("created_at")

    def iso(value: datetime.datetime | None) -> str:
        return value.isoformat() if value else ""

    return [
        {
            "campaign": row.campaign.name,
            "channel": row.channel,
            "state": row.state,
            "skip_reason": row.skip_reason,
            "sent_to": row.address,
            "queued_at": iso(row.created_at),
            "sent_at": iso(row.sent_at),
            "opened_at": iso(row.opened_at),
            "clicked_at": iso(row.clicked_at),
            "unsubscribed_at": iso(row.unsubscribed_at),
        }
        for row in rows
    ]


def messages_erase(*, member: Member) -> None:
    """Delete the member's messages (their counts go to MessageTally so reports keep them) and
    the hard bounce of their address."""
    rows = Message.objects.filter(member=member)
    tallies = rows.values("campaign_id", "variant_id", "is_holdout").annotate(
        targeted=Count("pk"),
        sent=Count("pk", filter=Q(state=Message.State.SENT)),
        delivered=Count("pk", filter=Q(delivered_at__isnull=False)),
        opened=Count("pk", filter=Q(opened_at__isnull=False)),
        clicked=Count("pk", filter=Q(clicked_at__isnull=False)),
        unsubscribed=Count("pk", filter=Q(unsubscribed_at__isnull=False)),
    )
    MessageTally.objects.bulk_create([MessageTally(**row) for row in tallies.order_by()])
    rows.delete()
    if member.email:
        Bounce.objects.filter(address__iexact=member.email).delete()


# --- Calendar, dashboard -------------------------------------------------------------------------


def campaigns_calendar(*, start, end, user) -> list[CalendarEntry]:
    if user is None or not user.has_perm("campaigns.view_campaign"):
        return []
    rows = (
        Campaign.objects.filter(key="", trigger="")
        .exclude(state=Campaign.State.CANCELLED)
        .filter(
            Q(send_at__gte=start, send_at__lt=end)
            | Q(started_at__gte=start, started_at__lt=end)
            | Q(
                send_at__isnull=True,
                state=Campaign.State.DRAFT,
                created_at__gte=start,
                created_at__lt=end,
            )
        )
        .select_related("segment", "snapshot")
    )
    entries = []
    for campaign in rows:
        at = campaign.started_at or campaign.send_at or campaign.created_at
        if campaign.state in (Campaign.State.SENT, Campaign.State.SENDING, Campaign.State.PAUSED):
            detail = _("%(count)s targeted") % {"count": campaign.targeted_count}
        else:
            detail = _("Segment: %(name)s") % {
                "name": campaign.segment.name if campaign.segment else "–"
            }
        entries.append(
            CalendarEntry(
                kind="campaign",
                title=campaign.name,
                start=at,
                url=admin_url("admin:campaigns_campaign_change", campaign.pk),
                state=campaign.get_state_display(),
                detail=detail,
            )
        )
    return entries


def triggers_calendar(*, start, end, user) -> list[CalendarEntry]:
    """Each trigger that is on, at the start of the window, with what it sent in the window."""
    if user is None or not user.has_perm("campaigns.view_trigger"):
        return []
    rows = Trigger.objects.filter(state=Campaign.State.SENDING).annotate(
        n=Count(
            "messages",
            filter=Q(
                messages__state=Message.State.SENT,
                messages__sent_at__gte=start,
                messages__sent_at__lt=end,
            ),
        )
    )
    return [
        CalendarEntry(
            kind="trigger",
            title=trigger.name,
            start=start,
            end=end,
            url=admin_url("admin:campaigns_trigger_change", trigger.pk),
            state=_("on"),
            detail=_("%(count)s sent in the period") % {"count": trigger.n},
        )
        for trigger in rows
    ]


def _tile_results(request, period) -> dict[str, Any] | None:
    rows = Message.objects.filter(
        sent_at__gte=period.start, sent_at__lt=period.end, campaign__key=""
    ).aggregate(
        sent=Count("pk", filter=Q(state=Message.State.SENT)),
        opened=Count("pk", filter=Q(opened_at__isnull=False)),
        clicked=Count("pk", filter=Q(clicked_at__isnull=False)),
        unsubscribed=Count("pk", filter=Q(unsubscribed_at__isnull=False)),
    )
    url = admin_url("admin:campaigns_campaign_changelist")
    return {
        "figures": [
            {"label": _("Messages sent"), "value": rows["sent"], "url": url},
            {"label": _("Opened"), "value": rows["opened"], "url": url},
            {"label": _("Clicked"), "value": rows["clicked"], "url": url},
            {"label": _("Unsubscribed"), "value": rows["unsubscribed"], "url": url},
        ],
        "note": _("Campaign messages sent in the period."),
    }


def _tile_in_doubt(request, period) -> dict[str, Any] | None:
    in_doubt = Message.objects.filter(state=Message.State.IN_DOUBT).count()
    sending = Campaign.objects.filter(state=Campaign.State.SENDING, key="").count()
    url = admin_url("admin:campaigns_message_changelist")
    return {
        "figures": [
            {
                "label": _("Campaigns sending"),
                "value": sending,
                "url": admin_url("admin:campaigns_campaign_changelist") + "?state__exact=sending",
            },
            {
                "label": _("Messages in doubt"),
                "value": in_doubt,
                "url": url + "?state__exact=in_doubt",
                "hint": _("A worker stopped while handing these over; they may have been sent."),
            },
        ],
    }


def _sms_receipt(receipt) -> None:
    """A provider's delivery receipt (campaigns.webhooks): the first 'delivered' is recorded."""
    if receipt.status == "delivered":
        message_delivered(provider_id=receipt.provider_message_id, at=receipt.occurred_at)


def _sms_inbound(inbound) -> None:
    """A reply by SMS: STOP (STOPP, AVSLUTA …) withdraws the sender's SMS consent."""
    if inbound.is_stop:
        sms_stop_record(phone=inbound.from_number)


# How erasing a member treats each campaigns model (members.gdpr; checked by a model walk).
GDPR_COVERAGE = {
    "campaigns.Campaign": "a campaign: its creator is staff, no member's data",
    "campaigns.Variant": "a message's content as staff wrote it, no member's data",
    "campaigns.Message": "messages_erase deletes the member's messages; their counts move to "
    "MessageTally",
    "campaigns.Bounce": "messages_erase deletes the hard bounce of the member's address",
    "campaigns.WebhookEvent": "which provider events were handled: ids only",
}


def register() -> None:
    for label, how in GDPR_COVERAGE.items():
        gdpr_model_covered(label, how)
    goal_register(Campaign.Goal.PURCHASE, _purchase_goal)
    goal_register(Campaign.Goal.REDEMPTION, _redemption_goal)
    register_segment_fields()
    timeline_provider_register(messages_timeline)
    gdpr_exporter_register("campaign_messages", messages_export)
    gdpr_eraser_register(messages_erase)
    sms_sender_register(sms_send_transactional)
    receipt_handler_register(_sms_receipt)
    inbound_handler_register(_sms_inbound)
    calendar_provider_register("campaigns", campaigns_calendar)
    calendar_provider_register("campaigns-triggers", triggers_calendar)
    dashboard_tile_register(
        key="campaigns-results",
        title=_("Campaign results"),
        group="communication",
        data=_tile_results,
        permission="campaigns.view_campaign",
    )
    dashboard_tile_register(
        key="campaigns-sending",
        title=_("Sending"),
        group="communication",
        data=_tile_in_doubt,
        permission="campaigns.view_message",
        order=110,
    )
    for model, order in (
        ("campaigns.Campaign", 10),
        ("campaigns.Trigger", 15),
        ("campaigns.Message", 20),
        ("campaigns.Bounce", 30),
    ):
        backoffice_model_register(model=model, group="communication", order=order)
