"""Reads for the member 360 page: the member with their profile relations, consents, scores,
latest purchases, and the merged timeline from every registered provider.

Every read here runs a constant number of queries whatever the member's history: providers
query once each, with a LIMIT. The members app's own providers (purchases and returns,
consent changes, audit-log entries about the member) are registered when this module loads.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import Prefetch, QuerySet
from django.http import Http404
from django.utils.translation import gettext_lazy as _

from core.models import AuditLogEntry
from members.models import ConsentEvent, ConsentPurpose, Member, MemberScore, Purchase, PurchaseLine
from members.selectors.consent import consent_current
from members.timeline import (
    TimelineEntry,
    admin_url,
    timeline_provider_register,
    timeline_providers,
)


def member_purchases_latest(*, member: Member, limit: int = 10) -> list[Purchase]:
    """The newest purchases and returns with their store and lines (2 queries)."""
    return list(
        Purchase.objects.filter(member=member)
        .select_related("store")
        .prefetch_related(Prefetch("lines", queryset=PurchaseLine.objects.order_by("pk")))
        .order_by("-purchased_at", "-id")[:limit]
    )


def member_consent_log(*, member: Member, limit: int = 20) -> list[ConsentEvent]:
    return list(
        ConsentEvent.objects.filter(member=member)
        .select_related("text", "actor")
        .order_by("-created_at", "-id")[:limit]
    )


def _purchase_entries(*, member: Member, limit: int) -> list[TimelineEntry]:
    entries = []
    for purchase in member_purchases_latest(member=member, limit=limit):
        where = purchase.store.name if purchase.store else purchase.get_channel_display()
        values = {"amount": purchase.amount, "currency": purchase.currency, "where": where}
        title = (
            _("Return of %(amount)s %(currency)s, %(where)s")
            if purchase.is_return
            else _("Purchase of %(amount)s %(currency)s, %(where)s")
        ) % values
        products = ", ".join(line.product for line in purchase.lines.all())
        entries.append(
            TimelineEntry(
                at=purchase.purchased_at,
                kind="return" if purchase.is_return else "purchase",
                title=title,
                detail=products or purchase.external_id,
                url=admin_url("admin:members_purchase_change", purchase.pk),
            )
        )
    return entries


def _consent_entries(*, member: Member, limit: int) -> list[TimelineEntry]:
    entries = []
    for event in member_consent_log(member=member, limit=limit):
        values = {"purpose": event.get_purpose_display()}
        title = (
            _("Consent granted: %(purpose)s")
            if event.granted
            else _("Consent withdrawn: %(purpose)s")
        ) % values
        detail = event.get_source_display()
        if event.text is not None:
            detail = f"{detail}, {_('text version')} {event.text.version}"
        entries.append(
            TimelineEntry(at=event.created_at, kind="consent", title=title, detail=detail)
        )
    return entries


def _audit_entries(*, member: Member, limit: int) -> list[TimelineEntry]:
    audit = AuditLogEntry.objects.filter(
        target_type=Member._meta.label_lower, target_id=str(member.pk)
    ).order_by("-created_at", "-id")[:limit]
    return [
        TimelineEntry(
            at=entry.created_at,
            kind="audit",
            title=_("%(action)s by %(who)s") % {"action": entry.action, "who": entry.actor_label},
            detail=", ".join(sorted(entry.details)) if isinstance(entry.details, dict) else "",
        )
        for entry in audit
    ]


timeline_provider_register(_purchase_entries)
timeline_provider_register(_consent_entries)
timeline_provider_register(_audit_entries)


def member_timeline(*, member: Member, limit: int = 100) -> list[TimelineEntry]:
    """The newest `limit` entries from every provider, newest first."""
    entries: list[TimelineEntry] = []
    for provider in timeline_providers():
        entries.extend(provider(member=member, limit=limit))
    entries.sort(key=lambda entry: entry.at, reverse=True)
    return entries[:limit]


def member_360_member(*, member_id: Any) -> Member:
    """The member with what the profile part of the page shows (2 queries); Http404 if none.
    Callers check members.view_member first."""
    try:
        pk = int(member_id)
    except (TypeError, ValueError):
        raise Http404 from None
    queryset: QuerySet[Member] = Member.objects.select_related(
        "preferred_store", "staff_contact", "user", "score"
    ).prefetch_related("interests")
    member = queryset.filter(pk=pk).first()
    if member is None:
        raise Http404
    return member


def member_score(member: Member) -> MemberScore | None:
    try:
        return member.score
    except MemberScore.DoesNotExist:
        return None


@dataclass
class Member360:
    member: Member
    consents: list[tuple[str, str, bool]]
    consent_log: list[ConsentEvent]
    score: MemberScore | None
    purchases: list[Purchase]
    timeline: list[TimelineEntry] = field(default_factory=list)


def member_360(*, member_id: Any, timeline_limit: int = 100) -> Member360:
    """Everything the member 360 page shows, in a constant number of queries."""
    member = member_360_member(member_id=member_id)
    current = consent_current(member=member)
    return Member360(
        member=member,
        consents=[
            (purpose, str(label), current.get(purpose, False))
            for purpose, label in ConsentPurpose.choices
        ],
        consent_log=member_consent_log(member=member),
        score=member_score(member),
        purchases=member_purchases_latest(member=member),
        timeline=member_timeline(member=member, limit=timeline_limit),
    )
