"""Reads of member profiles, with the access checks: who may see which member."""

from __future__ import annotations

from typing import cast

from django.db.models import Q, QuerySet
from django.http import Http404

from core.db import fetch_instances, model_columns
from members.models import Member, User


def _member_queryset() -> QuerySet[Member]:
    return Member.objects.select_related("preferred_store", "staff_contact").prefetch_related(
        "interests"
    )


def member_get_by_number(*, number: str) -> Member | None:
    """The member with this membership number (any status), or None."""
    return _member_queryset().filter(number=(number or "").strip()).first()


def member_get_self(*, user: User) -> Member | None:
    """The member linked to this login, or None (a staff user, a login not yet linked)."""
    if not user.is_authenticated:
        return None
    return _member_queryset().filter(user=user).first()


def member_for_login(*, user: User) -> Member | None:
    """The member linked to this login, in one plain query (no related data): for hot paths
    such as redeeming through the API. None for anonymous or unlinked logins."""
    if not user.is_authenticated:
        return None
    related = User.member.related  # type: ignore[attr-defined]
    if related.is_cached(user):
        # Loaded with the login (members.api.authentication), or linked in this request.
        return cast("Member | None", related.get_cached_value(user))
    # A plain query costs a fraction of the ORM's (no SQL to compile) on a path taken by every
    # redemption through the API; every field is loaded, so nothing is deferred.
    found = fetch_instances(
        Member,
        f"SELECT {model_columns(Member, 'm')} FROM {Member._meta.db_table} m "  # noqa: S608 - names from _meta, value bound
        "WHERE m.user_id = %s LIMIT 1",
        [user.pk],
    )
    return found[0] if found else None


def member_get_for_user(*, user: User, member_id: int) -> Member:
    """The member `member_id` when `user` may see it: their own member, or any member for staff
    with members.view_member. Raises Http404 otherwise, so nobody learns which ids exist."""
    if not user.is_authenticated:
        raise Http404
    queryset = _member_queryset().filter(pk=member_id)
    if not (user.is_active and user.has_perm("members.view_member")):
        queryset = queryset.filter(user=user)
    member = queryset.first()
    if member is None:
        raise Http404
    return member


MEMBER_ORDERINGS = {
    "number": ("number",),
    "-number": ("-number",),
    "joined_at": ("joined_at", "id"),
    "-joined_at": ("-joined_at", "-id"),
    "name": ("last_name", "first_name", "id"),
    "-name": ("-last_name", "-first_name", "-id"),
    "updated_at": ("updated_at", "id"),
    "-updated_at": ("-updated_at", "-id"),
}


def member_search_q(q: str, *, by_contact: bool = True) -> Q:
    """Members matching a staff search: each word in a name, the e-mail, the membership number or
    the phone (any spelling of it); only the number without `by_contact` (a role that may not
    see names and contact details must not find members by them either)."""
    text = " ".join((q or "").split())
    if not text:
        return Q()
    if not by_contact:
        return Q(number=text)
    condition = Q(email__icontains=text) | Q(number=text)
    digits = "".join(char for char in text if char.isdigit())
    if len(digits) >= 4:
        condition |= Q(phone__contains=digits.lstrip("0"))
    words = text.split(" ")
    names = Q()
    for word in words:
        names &= Q(first_name__icontains=word) | Q(last_name__icontains=word)
    return condition | names


def member_list(
    *,
    q: str = "",
    status: str = "",
    store: str = "",
    source: str = "",
    ordering: str = "-joined_at",
    by_contact: bool = True,
) -> QuerySet[Member]:
    """Members for staff and integrations: searched (by name, e-mail and phone only
    `by_contact`), filtered and ordered; interests prefetched so a page costs the same number of
    queries whatever its length."""
    queryset = _member_queryset().filter(member_search_q(q, by_contact=by_contact))
    if status:
        queryset = queryset.filter(status=status)
    if store:
        queryset = queryset.filter(preferred_store__code=store)
    if source:
        queryset = queryset.filter(source=source)
    return queryset.order_by(*MEMBER_ORDERINGS.get(ordering, MEMBER_ORDERINGS["-joined_at"]))
