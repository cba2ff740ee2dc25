"""Retention: members inactive longer than settings.MEMBER_RETENTION_YEARS are due for review
(keep with a reason, or erase). Inactive means no purchase, no login and no consent change since
the cut-off, and joined before it. Erased members are never due."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db.models import Exists, Max, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from members.models import ConsentEvent, Member, Purchase


def retention_cutoff(*, now: datetime.datetime | None = None) -> datetime.datetime:
    """The moment before which activity no longer counts (MEMBER_RETENTION_YEARS back)."""
    now = now or timezone.now()
    years = settings.MEMBER_RETENTION_YEARS
    try:
        return now.replace(year=now.year - years)
    except ValueError:  # 29 February
        return now.replace(year=now.year - years, day=28)


def retention_review_q(*, now: datetime.datetime | None = None) -> Q:
    """Members due for retention review, as a condition usable in any Member query."""
    cutoff = retention_cutoff(now=now)
    recent_purchase = Purchase.objects.filter(member=OuterRef("pk"), purchased_at__gte=cutoff)
    recent_consent = ConsentEvent.objects.filter(member=OuterRef("pk"), created_at__gte=cutoff)
    return (
        ~Q(status=Member.Status.ERASED)
        & Q(joined_at__lt=cutoff)
        & ~Q(Exists(recent_purchase))
        & ~Q(Exists(recent_consent))
        & (Q(user__isnull=True) | Q(user__last_login__isnull=True) | Q(user__last_login__lt=cutoff))
    )


def members_due_for_retention_review(*, now: datetime.datetime | None = None) -> QuerySet[Member]:
    """The members due for review with their last purchase, login and consent change (one
    query), oldest activity first."""
    last_purchase = Subquery(
        Purchase.objects.filter(member=OuterRef("pk"))
        .values("member")
        .annotate(m=Max("purchased_at"))
        .values("m")[:1]
    )
    last_consent = Subquery(
        ConsentEvent.objects.filter(member=OuterRef("pk"))
        .values("member")
        .annotate(m=Max("created_at"))
        .values("m")[:1]
    )
    return (
        Member.objects.filter(retention_review_q(now=now))
        .select_related("user")
        .annotate(last_purchase_at=last_purchase, last_consent_at=last_consent)
        .order_by("joined_at", "id")
    )
