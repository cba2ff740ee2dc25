"""Reads of purchases for staff and integrations (the API list, the admin)."""

from __future__ import annotations

import datetime

from django.db.models import Prefetch, QuerySet

from members.models import Purchase, PurchaseLine


def purchase_list(
    *,
    member_number: str = "",
    channel: str = "",
    store: str = "",
    source: str = "",
    date_from: datetime.date | None = None,
    date_to: datetime.date | None = None,
) -> QuerySet[Purchase]:
    """Purchases and returns, newest first, with member, store, original and lines loaded (a
    page costs the same few queries however many rows it has). `store` is a store code;
    `date_from` and `date_to` are inclusive calendar days in the site's time zone."""
    queryset = (
        Purchase.objects.select_related("member", "store", "original")
        .prefetch_related(Prefetch("lines", queryset=PurchaseLine.objects.order_by("pk")))
        .order_by("-purchased_at", "-id")
    )
    if member_number:
        queryset = queryset.filter(member__number=member_number.strip())
    if channel:
        queryset = queryset.filter(channel=channel)
    if store:
        queryset = queryset.filter(store__code=store.strip())
    if source:
        queryset = queryset.filter(source=source.strip())
    if date_from is not None:
        queryset = queryset.filter(purchased_at__date__gte=date_from)
    if date_to is not None:
        queryset = queryset.filter(purchased_at__date__lte=date_to)
    return queryset


def purchase_list_for_member(*, member) -> QuerySet[Purchase]:
    """The member's own purchases and returns, newest first, with store, original and lines
    loaded: a page costs the same few queries however many rows it has."""
    return (
        Purchase.objects.filter(member=member)
        .select_related("store", "original")
        .prefetch_related(Prefetch("lines", queryset=PurchaseLine.objects.order_by("pk")))
        .order_by("-purchased_at", "-id")
    )
