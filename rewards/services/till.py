"""What store staff do at the till: use a member's voucher (one click, audited) and register a
purchase the member made without their card (through members' purchase service, so the purchase
hook gives the points as for any purchase). A refusal is a ValidationError with a message for
the staff member; nothing is written then."""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _

from core.services import audit_log
from members.models import Member, Purchase, Store
from members.services.purchases import purchase_record
from rewards.models import Redemption

TILL_SOURCE = "till"


def _store_required(store: Store | None) -> Store:
    if store is None or not store.is_active or store.is_online:
        raise ValidationError(_("Choose the store this till is in first."), code="no_store")
    return store


def voucher_use_at_till(
    *,
    member: Member,
    redemption_id: object,
    store: Store | None,
    actor,
    request: HttpRequest | None = None,
) -> Redemption:
    """Mark the member's voucher used in `store`: refused when it is not theirs, already used,
    cancelled, expired or only for other stores. Row-locked, so two tills cannot use it twice."""
    store = _store_required(store)
    try:
        pk = int(str(redemption_id))
    except (TypeError, ValueError):
        raise ValidationError(_("This member has no such voucher."), code="not_found") from None
    with transaction.atomic():
        voucher = (
            Redemption.objects.select_for_update(of=("self",))
            .select_related("reward", "used_in_store")
            .filter(pk=pk, member=member)
            .first()
        )
        if voucher is None:
            raise ValidationError(_("This member has no such voucher."), code="not_found")
        if voucher.status == Redemption.Status.FULFILLED:
            when = formats.date_format(timezone.localtime(voucher.fulfilled_at), "j F Y")
            params = {"code": voucher.voucher_code, "date": when}
            if voucher.used_in_store:
                message = _("Voucher %(code)s was already used on %(date)s in %(store)s.")
                params["store"] = voucher.used_in_store.name
            else:
                message = _("Voucher %(code)s was already used on %(date)s.")
            raise ValidationError(
                message % params,
                code="already_used",
            )
        if voucher.status == Redemption.Status.CANCELLED:
            raise ValidationError(
                _("Voucher %(code)s was cancelled and cannot be used.")
                % {"code": voucher.voucher_code},
                code="cancelled",
            )
        today = timezone.localdate()
        if voucher.voucher_valid_until is not None and voucher.voucher_valid_until < today:
            raise ValidationError(
                _("Voucher %(code)s expired on %(date)s.")
                % {
                    "code": voucher.voucher_code,
                    "date": formats.date_format(voucher.voucher_valid_until, "j F Y"),
                },
                code="expired",
            )
        stores = list(voucher.reward.stores.order_by("name"))
        if stores and store not in stores:
            raise ValidationError(
                _("Voucher %(code)s can only be used in %(stores)s, not in %(store)s.")
                % {
                    "code": voucher.voucher_code,
                    "stores": ", ".join(s.name for s in stores),
                    "store": store.name,
                },
                code="other_store",
            )
        voucher.status = Redemption.Status.FULFILLED
        voucher.fulfilled_at = timezone.now()
        voucher.used_in_store = store
        voucher.save(update_fields=["status", "fulfilled_at", "used_in_store"])
        audit_log(
            action="redemption.use_at_till",
            actor=actor,
            target=voucher,
            request=request,
            details={"member": member.number, "store": store.code},
        )
    return voucher


def purchase_register_at_till(
    *,
    member: Member,
    amount: Decimal | str,
    receipt: str,
    store: Store | None,
    actor,
    request: HttpRequest | None = None,
) -> tuple[Purchase, bool]:
    """Record an in-store purchase the member made without their card (receipt number as the
    external id, so the same receipt is stored once). Returns (purchase, created)."""
    store = _store_required(store)
    with transaction.atomic():
        purchase, created = purchase_record(
            member=member,
            purchased_at=timezone.now(),
            amount=amount,
            currency="SEK",
            channel=Purchase.Channel.STORE,
            store=store,
            source=TILL_SOURCE,
            external_id=f"{store.code}:{(receipt or '').strip()}"
            if (receipt or "").strip()
            else "",
        )
        if created:
            audit_log(
                action="purchase.register_at_till",
                actor=actor,
                target=purchase,
                request=request,
                details={"member": member.number, "store": store.code, "amount": str(amount)},
            )
    return purchase, created
