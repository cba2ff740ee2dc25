"""Purchases and returns: the one way they are written, from tills, web shops, the API and imports.

`purchase_record` validates one purchase, stores it with its lines once per (source,
external_id) and runs the `members.hooks.purchase_recorded` hooks (e.g. rewards' points) in the
same transaction. A return is a purchase with a negative amount linked to the original purchase
of the same member; all returns of a purchase together may not exceed it.

`purchases_ingest` records a batch of rows (as the API receives them): each row in its own
savepoint, so the valid rows are stored and each bad row reports its own errors.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _

from core.db import insert_rows
from core.services import audit_log
from core.validators import date_in_window, text_bad_character, text_one_line
from members.hooks import purchase_recorded_run, purchases_recorded_run
from members.models import Member, Purchase, PurchaseLine, Store, normalize_email

INGEST_MAX_ROWS = 1000
# A till's clock may run a little fast; a purchase further in the future than this is refused.
FUTURE_TOLERANCE = datetime.timedelta(hours=1)
_AMOUNT_MAX = Decimal("9999999999.99")  # max_digits=12, decimal_places=2
_QUANTITY_MAX = Decimal("9999999.999")


# --- Validation helpers ----------------------------------------------------------------------


def _decimal(value: Any, *, places: int, maximum: Decimal) -> Decimal | None:
    """A Decimal with at most `places` decimals and |value| <= maximum, or None if not one."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, float):
        value = repr(value)
    if isinstance(value, str):
        value = value.strip().replace(",", ".")
    try:
        number = Decimal(value)
    except (InvalidOperation, ValueError, TypeError):
        return None
    if not number.is_finite() or abs(number) > maximum:
        return None
    exponent = number.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -places:
        return None
    return number.quantize(Decimal(1).scaleb(-places))


def _datetime(value: Any) -> datetime.datetime | None:
    if isinstance(value, datetime.datetime):
        moment = value
    elif isinstance(value, str):
        try:
            parsed = parse_datetime(value.strip())
        except ValueError:
            parsed = None
        if parsed is None:
            return None
        moment = parsed
    else:
        return None
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment


def _member_resolve(member: Member | str | None) -> Member | None:
    """A Member as given, or looked up by membership number or e-mail (non-erased first)."""
    if member is None or isinstance(member, Member):
        return member
    text = str(member).strip()
    if not text:
        return None
    if "@" in text:
        return (
            Member.objects.not_erased().filter(email=normalize_email(text)).order_by("pk").first()
        )
    return Member.objects.filter(number=text).first()


def _store_resolve(store: Store | str | None) -> Store | bool | None:
    """A Store as given, or looked up by code; False when a code names no store."""
    if store is None or isinstance(store, Store):
        return store
    text = str(store).strip()
    if not text:
        return None
    return Store.objects.filter(code=text).first() or False


@dataclass
class _CleanLine:
    product: str
    category: str
    quantity: Decimal
    amount: Decimal


def _lines_clean(lines: Iterable[Any], errors: dict[str, list]) -> list[_CleanLine]:
    cleaned: list[_CleanLine] = []
    if lines is None:
        return cleaned
    if isinstance(lines, (str, bytes, Mapping)) or not isinstance(lines, Iterable):
        errors.setdefault("lines", []).append(_("The lines must be a list."))
        return cleaned
    for index, line in enumerate(lines, start=1):
        if isinstance(line, PurchaseLine):
            line = {
                "product": line.product,
                "category": line.category,
                "quantity": line.quantity,
                "amount": line.amount,
            }
        if not isinstance(line, Mapping):
            errors.setdefault("lines", []).append(
                _("Line %(index)s: must be an object with product and amount.") % {"index": index}
            )
            continue
        product = _key_text(line.get("product"))
        category = _key_text(line.get("category"))
        raw_category = line.get("category")
        quantity = _decimal(line.get("quantity", 1), places=3, maximum=_QUANTITY_MAX)
        amount = _decimal(line.get("amount"), places=2, maximum=_AMOUNT_MAX)
        problems = []
        if not product:
            problems.append(_("the product is required (plain text, one line)"))
        elif len(product) > 200:
            problems.append(_("the product may be at most 200 characters"))
        if raw_category not in (None, "") and not category and not str(raw_category).isspace():
            problems.append(_("the category must be plain text on one line"))
        elif len(category) > 100:
            problems.append(_("the category may be at most 100 characters"))
        if quantity is None or quantity == 0:
            problems.append(_("the quantity must be a number other than 0"))
        if amount is None:
            problems.append(_("the amount must be a number with at most 2 decimals"))
        if problems:
            errors.setdefault("lines", []).append(
                _("Line %(index)s: %(problems)s.")
                % {"index": index, "problems": "; ".join(str(p) for p in problems)}
            )
            continue
        assert quantity is not None and amount is not None
        cleaned.append(_CleanLine(product, category, quantity, amount))
    return cleaned


def _add(errors: dict[str, list], field_name: str, message: Any) -> None:
    errors.setdefault(field_name, []).append(message)


# --- Recording -------------------------------------------------------------------------------


def _existing(source: str, external_id: str) -> Purchase | None:
    return Purchase.objects.filter(source=source, external_id=external_id).first()


def _check_same(existing: Purchase, *, member: Member | None, amount: Decimal | None) -> None:
    """A resend must describe the same purchase: the same key for another member or amount is
    a mistake in the sending system, reported rather than silently answered."""
    if (member is not None and existing.member_id != member.pk) or (
        amount is not None and existing.amount != amount
    ):
        raise ValidationError(
            {
                "external_id": [
                    _(
                        "A different purchase was already recorded with this external id "
                        "from this source."
                    )
                ]
            }
        )


def _text(value: Any, errors: dict[str, list], field_name: str) -> str:
    """A one-line text value stripped ("" for None); numbers are taken as their text. Anything
    else, or text with NUL, control or invisible characters, is an error for `field_name`."""
    if value is None:
        return ""
    if isinstance(value, int | Decimal) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        _add(errors, field_name, _("This value must be text."))
        return ""
    try:
        text_one_line(value)
    except ValidationError as exc:
        errors.setdefault(field_name, []).extend(exc.messages)
        return ""
    return value.strip()


@dataclass
class _Valid:
    """A purchase that passed validation, ready to be stored."""

    member: Member
    purchased_at: datetime.datetime
    amount: Decimal
    currency: str
    channel: str
    store: Store | None
    source: str
    external_id: str
    lines: list[_CleanLine]


def _purchase_validate(
    *,
    member: Member | str | None,
    purchased_at: datetime.datetime | str | None,
    amount: Decimal | int | str | None,
    currency: Any,
    channel: Any,
    store: Store | str | None,
    source: Any,
    external_id: Any,
    lines: Any,
    original: Purchase | None,
    find_existing: Any,
) -> tuple[Purchase | None, _Valid | None]:
    """Check one purchase without writing: (the purchase already stored under its source and
    external id, None) for a resend, else (None, the clean values). `find_existing(source,
    external_id)` looks the key up (one query, or a batch's dictionary). The original of a
    return is checked by the caller, under its lock. Raises ValidationError({field: [...]})."""
    errors: dict[str, list] = {}
    source = _text(source, errors, "source")
    external_id = _text(external_id, errors, "external_id")
    if "source" in errors:
        pass
    elif not source:
        _add(errors, "source", _("The source system is required (e.g. pos, eshop)."))
    elif len(source) > 40:
        _add(errors, "source", _("The source may be at most 40 characters."))
    if "external_id" in errors:
        pass
    elif not external_id:
        _add(errors, "external_id", _("The external id (e.g. the receipt number) is required."))
    elif len(external_id) > 100:
        _add(errors, "external_id", _("The external id may be at most 100 characters."))

    if not isinstance(member, Member):
        member = _text(member, errors, "member") or None
    the_member = _member_resolve(member) if "member" not in errors else None
    if "member" in errors:
        pass
    elif member is None:
        _add(errors, "member", _("The member is required."))
    elif the_member is None:
        _add(
            errors,
            "member",
            _("No member has the number or e-mail “%(value)s”.") % {"value": member},
        )
    elif the_member.status == Member.Status.ERASED:
        _add(errors, "member", _("This member has been erased; no purchases can be recorded."))

    value = _decimal(amount, places=2, maximum=_AMOUNT_MAX)
    if not errors:
        existing = find_existing(source, external_id)
        if existing is not None:
            _check_same(existing, member=the_member, amount=value)
            return existing, None

    if value is None:
        _add(errors, "amount", _("The amount must be a number with at most 2 decimals."))
    elif value == 0:
        _add(errors, "amount", _("The amount may not be 0."))
    elif value < 0 and original is None:
        _add(
            errors,
            "amount",
            _("A negative amount is a return: give the original purchase it returns."),
        )
    elif value > 0 and original is not None:
        _add(errors, "amount", _("A return must have a negative amount."))

    currency_code = _text(currency, errors, "currency").upper() or settings.DEFAULT_CURRENCY
    if "currency" not in errors and currency_code not in settings.CURRENCIES:
        _add(
            errors,
            "currency",
            _("The currency “%(value)s” is not accepted; use one of %(allowed)s.")
            % {"value": currency, "allowed": ", ".join(settings.CURRENCIES)},
        )

    the_channel = _text(channel, errors, "channel").lower()
    if "channel" not in errors and the_channel not in Purchase.Channel.values:
        _add(
            errors,
            "channel",
            _("The channel must be one of %(allowed)s.")
            % {"allowed": ", ".join(Purchase.Channel.values)},
        )
    if not isinstance(store, Store):
        store = _text(store, errors, "store") or None
    the_store = _store_resolve(store) if "store" not in errors else None
    if the_store is False:
        _add(errors, "store", _("No store has the code “%(value)s”.") % {"value": store})
        the_store = None
    elif the_store is None and the_channel == Purchase.Channel.STORE and "store" not in errors:
        _add(errors, "store", _("A purchase in store needs the store it was made in."))

    moment = _datetime(purchased_at)
    if moment is None:
        _add(errors, "purchased_at", _("The time of purchase must be a date and time."))
    else:
        try:
            date_in_window(moment)
        except ValidationError as exc:
            errors.setdefault("purchased_at", []).extend(exc.messages)
        else:
            if moment > timezone.now() + FUTURE_TOLERANCE:
                _add(errors, "purchased_at", _("The time of purchase may not be in the future."))

    clean_lines = _lines_clean(lines or (), errors)
    if clean_lines and value is not None and not errors.get("lines"):
        total = sum((line.amount for line in clean_lines), Decimal(0))
        if total != value:
            _add(
                errors,
                "lines",
                _("The lines add up to %(total)s but the purchase amount is %(amount)s.")
                % {"total": total, "amount": value},
            )
    if errors:
        raise ValidationError(errors)
    assert the_member is not None and value is not None and moment is not None
    assert not isinstance(the_store, bool)
    return None, _Valid(
        member=the_member,
        purchased_at=moment,
        amount=value,
        currency=currency_code,
        channel=the_channel,
        store=the_store,
        source=source,
        external_id=external_id,
        lines=clean_lines,
    )


def _lines_build(purchase: Purchase, lines: Sequence[_CleanLine]) -> list[PurchaseLine]:
    return [
        PurchaseLine(
            purchase=purchase,
            product=line.product,
            category=line.category,
            quantity=line.quantity,
            amount=line.amount,
        )
        for line in lines
    ]


@transaction.atomic
def purchase_record(
    *,
    member: Member | str | None,
    purchased_at: datetime.datetime | str | None,
    amount: Decimal | int | str | None,
    currency: str | None,
    channel: str | None,
    store: Store | str | None,
    source: str,
    external_id: str,
    lines: Iterable[Any] | None = (),
    original: Purchase | None = None,
) -> tuple[Purchase, bool]:
    """Record a purchase (or a return: a negative amount with `original`) and return
    (purchase, created). The same (source, external_id) is stored once: sending it again
    returns (the stored purchase, False) and runs no hook.

    `member` is a Member, a membership number or an e-mail; `store` a Store or a store code.
    `lines` are optional mappings (product, category, quantity, amount) whose amounts must add
    up to the purchase amount. Raises ValidationError({field: [messages]}); nothing is written
    then. The members.hooks purchase_recorded hooks run inside this transaction."""
    existing, valid = _purchase_validate(
        member=member,
        purchased_at=purchased_at,
        amount=amount,
        currency=currency,
        channel=channel,
        store=store,
        source=source,
        external_id=external_id,
        lines=lines,
        original=original,
        find_existing=_existing,
    )
    if existing is not None:
        return existing, False
    assert valid is not None
    errors: dict[str, list] = {}
    if original is not None and valid.amount < 0:
        # Lock the original so two returns of it at the same moment are checked one at a time.
        locked = Purchase.objects.select_for_update().filter(pk=original.pk).first()
        if locked is None:
            _add(errors, "original", _("The original purchase does not exist."))
        elif locked.member_id != valid.member.pk:
            _add(errors, "original", _("The original purchase belongs to another member."))
        elif locked.original_id is not None:
            _add(errors, "original", _("A return cannot be returned."))
        else:
            if locked.currency != valid.currency:
                _add(
                    errors,
                    "currency",
                    _("A return must be in the currency of the original purchase (%(value)s).")
                    % {"value": locked.currency},
                )
            if valid.purchased_at < locked.purchased_at:
                _add(
                    errors,
                    "purchased_at",
                    _("A return cannot be made before the purchase it returns."),
                )
            returned = locked.returns.aggregate(total=Sum("amount"))["total"] or Decimal(0)
            left = locked.amount + returned
            if -valid.amount > left:
                _add(
                    errors,
                    "amount",
                    _(
                        "The return of %(amount)s is more than is left of the original purchase "
                        "(%(left)s of %(total)s)."
                    )
                    % {"amount": -valid.amount, "left": left, "total": locked.amount},
                )
    if errors:
        raise ValidationError(errors)

    purchase = Purchase(
        member=valid.member,
        purchased_at=valid.purchased_at,
        amount=valid.amount,
        currency=valid.currency,
        channel=valid.channel,
        store=valid.store,
        source=valid.source,
        external_id=valid.external_id,
        original=original,
    )
    try:
        with transaction.atomic():
            purchase.save(force_insert=True)
    except IntegrityError:
        # Sent twice at the same moment: the other request stored it first.
        existing = _existing(valid.source, valid.external_id)
        if existing is None:
            raise
        _check_same(existing, member=valid.member, amount=valid.amount)
        return existing, False
    if valid.lines:
        PurchaseLine.objects.bulk_create(_lines_build(purchase, valid.lines))
    purchase_recorded_run(purchase=purchase)
    return purchase, True


# --- Batches (API, imports) ------------------------------------------------------------------


@dataclass
class IngestResult:
    """The outcome of one row: `status` is "created", "already_recorded" or
    "error"; `errors` maps field names to messages."""

    index: int
    status: str
    purchase: Purchase | None = None
    errors: dict[str, list[str]] = field(default_factory=dict)


INGEST_FIELDS = (
    "member",
    "purchased_at",
    "amount",
    "currency",
    "channel",
    "store",
    "source",
    "external_id",
    "lines",
    "original_external_id",
)


def _error_dict(exc: ValidationError) -> dict[str, list[str]]:
    if hasattr(exc, "error_dict"):
        return {
            ("non_field_errors" if name == "__all__" else name): [str(m) for m in messages]
            for name, messages in exc.message_dict.items()
        }
    return {"non_field_errors": [str(m) for m in exc.messages]}


def _row_original(row: Mapping[str, Any], source: str) -> Purchase | None:
    """The purchase a return row names by `original_external_id` (same source unless
    `original_source` is given). Raises ValidationError when it names none."""
    errors: dict[str, list] = {}
    reference = _text(row.get("original_external_id"), errors, "original_external_id")
    original_source = _text(row.get("original_source"), errors, "original_source") or source
    if errors:
        raise ValidationError(errors)
    if not reference:
        return None
    found = Purchase.objects.filter(source=original_source, external_id=reference).first()
    if found is None:
        raise ValidationError(
            {"original_external_id": [_("No purchase with this external id was found to return.")]}
        )
    return found


def _key_text(value: Any) -> str:
    """A lookup key from a row's value: its text, or "" when it is not plain text."""
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or text_bad_character(value) is not None:
        return ""
    return value.strip()


def _row_member_key(row: Mapping[str, Any]) -> str:
    text = _key_text(row.get("member") or row.get("member_number") or row.get("member_email"))
    return normalize_email(text) if "@" in text else text


def _ingest_lookups(
    rows: Sequence[Any],
) -> tuple[dict[str, Member], dict[str, Store], dict[tuple[str, str], Purchase]]:
    """The batch's members (by number and by e-mail), stores (by code) and the purchases already
    stored under its (source, external id) keys in four queries, so a batch of 1 000 rows does
    not look each one up on its own."""
    mappings = [row for row in rows if isinstance(row, Mapping)]
    keys = {_row_member_key(row) for row in mappings} - {""}
    emails = {key for key in keys if "@" in key}
    numbers = keys - emails
    members: dict[str, Member] = {}
    if numbers:
        members.update(
            (member.number, member) for member in Member.objects.filter(number__in=numbers)
        )
    if emails:
        for member in Member.objects.not_erased().filter(email__in=emails).order_by("-pk"):
            members[member.email] = member
    codes = {_key_text(row.get("store")) for row in mappings} - {""}
    stores = {store.code: store for store in Store.objects.filter(code__in=codes)} if codes else {}
    pairs = {(_key_text(row.get("source")), _key_text(row.get("external_id"))) for row in mappings}
    existing: dict[tuple[str, str], Purchase] = {}
    by_source: dict[str, set[str]] = {}
    for source, external_id in pairs:
        if source and external_id:
            by_source.setdefault(source, set()).add(external_id)
    for source, ids in by_source.items():
        for purchase in Purchase.objects.filter(source=source, external_id__in=ids):
            existing[(purchase.source, purchase.external_id)] = purchase
    return members, stores, existing


_PURCHASE_COLUMNS = (
    "member",
    "purchased_at",
    "amount",
    "currency",
    "channel",
    "store",
    "source",
    "external_id",
    "created_at",
)


def _purchases_insert(valid: Sequence[_Valid]) -> dict[tuple[str, str], Purchase]:
    """Insert the purchases in one statement per 1 000 (in key order, so two batches sharing
    keys wait on each other in the same order, never in a cycle) and return those inserted by
    key. A key another transaction stored meanwhile is skipped (ON CONFLICT DO NOTHING) and
    missing from the answer."""
    now = timezone.now()
    inserted: dict[tuple[str, str], Purchase] = {}
    ordered = sorted(valid, key=lambda v: (v.source, v.external_id))
    for start in range(0, len(ordered), 1000):
        chunk = ordered[start : start + 1000]
        returned = insert_rows(
            Purchase,
            _PURCHASE_COLUMNS,
            [
                (
                    v.member.pk,
                    v.purchased_at,
                    v.amount,
                    v.currency,
                    v.channel,
                    v.store.pk if v.store is not None else None,
                    v.source,
                    v.external_id,
                    now,
                )
                for v in chunk
            ],
            suffix="ON CONFLICT (source, external_id) DO NOTHING",
            returning=("id", "source", "external_id"),
        )
        ids = {(source, external_id): pk for pk, source, external_id in returned}
        for v in chunk:
            pk = ids.get((v.source, v.external_id))
            if pk is None:
                continue
            purchase = Purchase(
                pk=pk,
                member=v.member,
                purchased_at=v.purchased_at,
                amount=v.amount,
                currency=v.currency,
                channel=v.channel,
                store=v.store,
                source=v.source,
                external_id=v.external_id,
                created_at=now,
            )
            purchase._state.adding = False
            inserted[(v.source, v.external_id)] = purchase
    return inserted


def _ingest_set_based(
    items: Sequence[tuple[int, Mapping[str, Any]]],
    *,
    members: dict[str, Member],
    stores: dict[str, Store],
    existing: dict[tuple[str, str], Purchase],
) -> list[IngestResult]:
    """Record rows that are not returns: validate each (no query), insert the new purchases
    and their lines in a few statements, then run the hooks once for them all (their batch
    variants: rewards earns the points set-based)."""
    results: dict[int, IngestResult] = {}
    fresh: dict[tuple[str, str], tuple[int, _Valid]] = {}
    repeats: list[tuple[int, tuple[str, str], _Valid]] = []
    for index, row in items:
        member = _row_member_key(row)
        store = _key_text(row.get("store"))
        try:
            found, valid = _purchase_validate(
                member=members.get(member, row.get("member") or member or None),
                purchased_at=row.get("purchased_at"),
                amount=row.get("amount"),
                currency=row.get("currency") or None,
                channel=row.get("channel"),
                store=stores.get(store, row.get("store") or None),
                source=row.get("source"),
                external_id=row.get("external_id"),
                lines=row.get("lines") or (),
                original=None,
                find_existing=lambda source, external_id: existing.get((source, external_id)),
            )
        except ValidationError as exc:
            results[index] = IngestResult(index=index, status="error", errors=_error_dict(exc))
            continue
        if found is not None:
            results[index] = IngestResult(index=index, status="already_recorded", purchase=found)
            continue
        assert valid is not None
        key = (valid.source, valid.external_id)
        if key in fresh:  # the same purchase twice in one batch: the later is a resend
            repeats.append((index, key, valid))
        else:
            fresh[key] = (index, valid)

    inserted = _purchases_insert([valid for _index, valid in fresh.values()])
    concurrent = [key for key in fresh if key not in inserted]
    # Stored by another request since the lookup: resends, as they would be one by one.
    for source, ids in _group(concurrent).items():
        for purchase in Purchase.objects.filter(source=source, external_id__in=ids):
            existing[(purchase.source, purchase.external_id)] = purchase
    existing.update(inserted)
    lines: list[tuple] = []
    created: list[tuple[int, Purchase]] = []
    for key, (index, valid) in fresh.items():
        found = inserted.get(key)
        if found is None:
            repeats.append((index, key, valid))
            continue
        purchase = found
        lines.extend(
            (purchase.pk, line.product, line.category, line.quantity, line.amount)
            for line in valid.lines
        )
        created.append((index, purchase))
        results[index] = IngestResult(index=index, status="created", purchase=purchase)
    for index, key, valid in repeats:
        stored = inserted.get(key) or existing[key]
        try:
            _check_same(stored, member=valid.member, amount=valid.amount)
        except ValidationError as exc:
            results[index] = IngestResult(index=index, status="error", errors=_error_dict(exc))
        else:
            results[index] = IngestResult(index=index, status="already_recorded", purchase=stored)
    for start in range(0, len(lines), 5000):
        insert_rows(
            PurchaseLine,
            ("purchase", "product", "category", "quantity", "amount"),
            lines[start : start + 5000],
        )
    created.sort(key=lambda pair: pair[0])
    purchases_recorded_run(purchases=[purchase for _index, purchase in created])
    return [results[index] for index, _row in items]


def _group(keys: Iterable[tuple[str, str]]) -> dict[str, list[str]]:
    grouped: dict[str, list[str]] = {}
    for source, external_id in keys:
        grouped.setdefault(source, []).append(external_id)
    return grouped


def _ingest_return(index: int, row: Mapping[str, Any]) -> IngestResult:
    """A return row, on its own: it locks and checks its original (in a savepoint, so a refused
    row leaves the batch intact)."""
    member = _row_member_key(row)
    errors: dict[str, list] = {}
    source = _text(row.get("source"), errors, "source")
    try:
        with transaction.atomic():
            if errors:
                raise ValidationError(errors)
            original = _row_original(row, source)
            purchase, created = purchase_record(
                member=member or row.get("member"),
                purchased_at=row.get("purchased_at"),
                amount=row.get("amount"),
                currency=row.get("currency") or None,
                channel=row.get("channel"),
                store=row.get("store") or None,
                source=source,
                external_id=row.get("external_id"),  # type: ignore[arg-type]
                lines=row.get("lines") or (),
                original=original,
            )
    except ValidationError as exc:
        return IngestResult(index=index, status="error", errors=_error_dict(exc))
    return IngestResult(
        index=index, status="created" if created else "already_recorded", purchase=purchase
    )


@transaction.atomic
def purchases_ingest(*, rows: Sequence[Mapping[str, Any]], actor=None) -> list[IngestResult]:
    """Record up to INGEST_MAX_ROWS purchases in one transaction: the valid rows are stored even
    when others are refused, and the result lists every row by its 0-based index as "created",
    "already_recorded" (the same source and external id was stored before) or "error" with the
    messages per field. An unexpected failure rolls the whole batch back: a batch is stored
    entirely as its answer says, or not at all. With an `actor`, one audit entry records the
    counts. A row is a mapping with:

    - `member`: membership number or e-mail address (or `member_number` / `member_email`);
    - `purchased_at` (ISO 8601), `amount` (negative for a return), `currency` (default
      settings.DEFAULT_CURRENCY), `channel` ("online" or "store"), `store` (store code, needed
      for channel "store"), `source` and `external_id` (the purchase's id in that system);
    - `lines` (optional): [{product, category, quantity, amount}], adding up to the amount;
    - for a return, `original_external_id` (and `original_source` if it differs from `source`).

    Set-based: the batch's members, stores and known keys are read in a few queries; the rows
    between two returns are validated in Python, then inserted with their lines and their hooks
    run (rewards earns their points) in a few statements. A return is recorded on its own, in
    its place, as purchase_record does, so every row earns what it would one by one.

    Raises ValidationError only when the batch itself is refused (not a list, too many rows)."""
    if isinstance(rows, (str, bytes, Mapping)) or not isinstance(rows, Sequence):
        raise ValidationError(_("The purchases must be a list of rows."))
    if len(rows) > INGEST_MAX_ROWS:
        raise ValidationError(
            _("At most %(limit)s purchases may be sent at once; this batch has %(count)s.")
            % {"limit": INGEST_MAX_ROWS, "count": len(rows)}
        )
    members, stores, existing = _ingest_lookups(rows)
    results: list[IngestResult] = []
    pending: list[tuple[int, Mapping[str, Any]]] = []

    def flush() -> None:
        if pending:
            results.extend(
                _ingest_set_based(pending, members=members, stores=stores, existing=existing)
            )
            pending.clear()

    for index, row in enumerate(rows):
        if not isinstance(row, Mapping):
            flush()
            results.append(
                IngestResult(
                    index=index,
                    status="error",
                    errors={"non_field_errors": [str(_("Each purchase must be an object."))]},
                )
            )
        elif row.get("original_external_id") not in (None, ""):
            flush()
            results.append(_ingest_return(index, row))
            for result in results[-1:]:
                if result.purchase is not None:
                    existing[(result.purchase.source, result.purchase.external_id)] = (
                        result.purchase
                    )
        else:
            pending.append((index, row))
    flush()
    if actor is not None and results:
        counts = {"created": 0, "already_recorded": 0, "error": 0}
        for result in results:
            counts[result.status] += 1
        audit_log(action="purchases.ingest", actor=actor, details=counts)
    return results
