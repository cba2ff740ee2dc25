"""What the till shows: the member a customer names (by membership number, card scan, e-mail or
phone in any spelling), their tier, balance and the vouchers they can use now. Store staff see
the members they serve here, not the CRM's lists."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from members.models import Member, Store, normalize_email
from members.services.profiles import member_number_is_valid, phone_normalize
from rewards.models import PointsAccount, Redemption

PHONE_CHARACTERS = set("0123456789 +-()./")
MAX_QUERY = 254


@dataclass(frozen=True)
class TillSearch:
    query: str
    members: list[Member] = field(default_factory=list)
    message: str = ""  # why nothing (or more than one member) was found, for the staff member
    code: str = ""  # empty, invalid, not_found, several


def _members() -> QuerySet[Member]:
    return Member.objects.not_erased().order_by("last_name", "first_name", "id")


def till_member_search(*, query: str) -> TillSearch:
    """The members the till search names. A membership number (typed or scanned from the card)
    or an e-mail address names one member; a phone number in any form ("0708176819",
    "070-817 68 19", "+46 70 817 68 19") may name several, and then the staff choose. Nothing
    is written."""
    text = " ".join((query or "").split())[:MAX_QUERY]
    if not text:
        return TillSearch(
            query="",
            message=_(
                "Enter a membership number, scan the card, or type an e-mail or phone number."
            ),
            code="empty",
        )
    if "@" in text:
        members = list(_members().filter(email=normalize_email(text))[:10])
        return _found(text, members)
    if not set(text) <= PHONE_CHARACTERS:
        return TillSearch(
            query=text,
            message=_(
                "“%(query)s” is neither a membership number nor a phone number: they have only "
                "digits. For an e-mail address, type all of it."
            )
            % {"query": text},
            code="invalid",
        )
    digits = "".join(char for char in text if char.isdigit())
    if member_number_is_valid(digits):
        return _found(text, list(_members().filter(number=digits)[:1]))
    try:
        phone = phone_normalize(text)
    except ValidationError:
        return TillSearch(
            query=text,
            message=_("“%(query)s” is not a membership number or a mobile phone number.")
            % {"query": text},
            code="invalid",
        )
    return _found(text, list(_members().filter(phone=phone)[:10]))


def _found(text: str, members: list[Member]) -> TillSearch:
    if not members:
        return TillSearch(
            query=text,
            message=_("No member found for “%(query)s”.") % {"query": text},
            code="not_found",
        )
    if len(members) > 1:
        return TillSearch(
            query=text,
            members=members,
            message=_(
                "%(count)d members share “%(query)s”. Ask for the name or the membership number "
                "and choose the right one."
            )
            % {"count": len(members), "query": text},
            code="several",
        )
    return TillSearch(query=text, members=members)


@dataclass(frozen=True)
class TillMember:
    member: Member
    account: PointsAccount | None
    vouchers: list[Redemption]

    @property
    def balance(self) -> int:
        return self.account.balance if self.account else 0

    @property
    def tier(self):
        return self.account.tier if self.account else None


def till_vouchers_q(*, today: datetime.date) -> Q:
    return Q(status=Redemption.Status.PENDING) & (
        Q(voucher_valid_until__isnull=True) | Q(voucher_valid_until__gte=today)
    )


def till_member_get(*, member_id: object) -> TillMember | None:
    """The member (not erased) with their account, tier and the vouchers they can use today (3
    queries), or None."""
    try:
        pk = int(str(member_id))
    except (TypeError, ValueError):
        return None
    member = _members().filter(pk=pk).first()
    if member is None:
        return None
    account = PointsAccount.objects.select_related("tier").filter(member=member).first()
    vouchers = list(
        Redemption.objects.filter(till_vouchers_q(today=timezone.localdate()), member=member)
        .select_related("reward")
        .prefetch_related(Prefetch("reward__stores", queryset=Store.objects.order_by("name")))
        .order_by("voucher_valid_until", "created_at", "id")
    )
    return TillMember(member=member, account=account, vouchers=vouchers)


def till_stores() -> QuerySet[Store]:
    """The stores a till can be in: active shops, not the web shop."""
    return Store.objects.filter(is_active=True, is_online=False).order_by("name")


def member_points_overview(*, member: Member) -> TillMember:
    """For the member 360 panel: the account with its tier and the vouchers usable today
    (2 queries)."""
    account = PointsAccount.objects.select_related("tier").filter(member=member).first()
    vouchers = list(
        Redemption.objects.filter(till_vouchers_q(today=timezone.localdate()), member=member)
        .select_related("reward")
        .order_by("voucher_valid_until", "created_at", "id")
    )
    return TillMember(member=member, account=account, vouchers=vouchers)
