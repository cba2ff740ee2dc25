"""CSV imports of members and purchases: check every row first, import only on confirmation.

Flow: `member_import_upload` reads the file (members.csvutil: encoding, delimiter, size and row
limits), checks the header, then runs the whole import as a *dry run* inside a transaction that
is always rolled back — every row goes through the same services as a real import
(member_create / member_update / consent_set / purchase_record), so the preview reports exactly
the errors the import would meet, with the file's line numbers, and writes nothing.
`member_import_confirm` runs it again for real, in one transaction: all rows, or — when the
person chose to skip the bad rows — all the good ones. Re-importing the same file changes
nothing: members are matched by number or e-mail and updated only where a value differs (blank
cells leave a value as it is); purchases are stored once per (source, external_id).

The uploaded bytes are kept on the MemberImport row between preview and confirmation and
cleared once it is imported or cancelled.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.services import audit_log
from members.csvutil import CsvReadError, CsvTable, csv_read
from members.models import (
    ConsentEvent,
    ConsentPurpose,
    Interest,
    Member,
    MemberImport,
    Purchase,
    Store,
    User,
    normalize_email,
)
from members.services.consent import consent_set
from members.services.gdpr import member_consents_granted
from members.services.profiles import member_clean_fields, member_create, member_update
from members.services.purchases import purchase_record

IMPORT_MAX_BYTES = settings.MEMBER_IMPORT_MAX_BYTES
IMPORT_MAX_ROWS = settings.MEMBER_IMPORT_MAX_ROWS
# Errors kept for the preview page; the counts always cover every row.
IMPORT_MAX_STORED_ERRORS = 1000

MEMBER_COLUMNS = (
    "number",
    "first_name",
    "last_name",
    "email",
    "phone",
    "birth_date",
    "postcode",
    "city",
    "language",
    "preferred_store",
    "interests",
    "consent_email",
    "consent_sms",
)
MEMBER_REQUIRED = ("first_name", "last_name", "email")
PURCHASE_COLUMNS = (
    "member",
    "purchased_at",
    "amount",
    "currency",
    "channel",
    "store",
    "source",
    "external_id",
    "original_external_id",
)
PURCHASE_REQUIRED = ("member", "purchased_at", "amount", "channel", "source", "external_id")
# Other spellings accepted in a header, mapped to the column name.
COLUMN_ALIASES = {
    "member_number": "member",
    "membership_number": "member",
    "store_code": "store",
    "preferred_store_code": "preferred_store",
    "e_mail": "email",
    "mobile": "phone",
    "zip": "postcode",
    "postal_code": "postcode",
}
_YES = {"yes", "y", "ja", "j", "true", "1", "x"}
_NO = {"no", "n", "nej", "false", "0"}
_CONSENT_COLUMNS = {
    "consent_email": ConsentPurpose.EMAIL_MARKETING,
    "consent_sms": ConsentPurpose.SMS_MARKETING,
}


@dataclass
class RowError:
    line: int
    field: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"line": self.line, "field": self.field, "message": self.message}


@dataclass
class ImportRun:
    """The outcome of going through every row once (dry run or for real)."""

    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    bad_lines: set[int] = field(default_factory=set)
    errors: list[RowError] = field(default_factory=list)

    @property
    def valid(self) -> int:
        return self.rows - len(self.bad_lines)


class _RowInvalid(Exception):
    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__("row invalid")
        self.errors = errors


def _messages(error: ValidationError) -> dict[str, list[str]]:
    if hasattr(error, "error_dict"):
        return {
            ("" if name == "__all__" else name): [str(m) for m in msgs]
            for name, msgs in error.message_dict.items()
        }
    return {"": [str(m) for m in error.messages]}


def _unformula(value: str) -> str:
    """A cell is text, never a formula. Our own exports prefix formula-like text with an
    apostrophe (members.csvutil.csv_safe); reading such a file back removes it again."""
    if len(value) > 1 and value[0] == "'" and value[1] in "=+-@\t\r":
        return value[1:]
    return value


# --- Header ------------------------------------------------------------------------------------


def _header_check(table: CsvTable, kind: str) -> None:
    columns = MEMBER_COLUMNS if kind == MemberImport.Kind.MEMBERS else PURCHASE_COLUMNS
    required = MEMBER_REQUIRED if kind == MemberImport.Kind.MEMBERS else PURCHASE_REQUIRED
    if kind == MemberImport.Kind.PURCHASES:
        # A purchase file names the member by number or e-mail: "number"/"email" mean "member".
        aliases = {**COLUMN_ALIASES, "number": "member", "email": "member"}
    else:
        aliases = {k: v for k, v in COLUMN_ALIASES.items() if v in columns}
    header = [aliases.get(name, name) for name in table.header]
    missing = [name for name in required if name not in header]
    unknown = [name for name in header if name and name not in columns]
    duplicated = sorted({name for name in header if name and header.count(name) > 1})
    problems = []
    if missing:
        problems.append(str(_("Missing columns: %(columns)s.") % {"columns": ", ".join(missing)}))
    if unknown:
        problems.append(str(_("Unknown columns: %(columns)s.") % {"columns": ", ".join(unknown)}))
    if duplicated:
        problems.append(
            str(_("Columns named twice: %(columns)s.") % {"columns": ", ".join(duplicated)})
        )
    if problems:
        problems.append(
            str(
                _("The columns of a %(kind)s file are: %(columns)s.")
                % {"kind": MemberImport.Kind(kind).label.lower(), "columns": ", ".join(columns)}
            )
        )
        raise CsvReadError(" ".join(problems))
    # Rename the rows' keys to the canonical names.
    if header != table.header:
        renamed = dict(zip(table.header, header, strict=True))
        table.rows = [
            (line, {renamed.get(k, k): v for k, v in row.items()}) for line, row in table.rows
        ]
        table.header = header


# --- Rows: members -------------------------------------------------------------------------------


@dataclass
class _Context:
    actor: User | None
    request: HttpRequest | None
    stores: dict[str, Store]
    interests: dict[str, Interest]
    seen_keys: dict[str, int] = field(default_factory=dict)


def _yes_no(value: str, name: str, errors: dict[str, list[str]]) -> bool | None:
    text = value.strip().lower()
    if not text:
        return None
    if text in _YES:
        return True
    if text in _NO:
        return False
    errors.setdefault(name, []).append(
        str(_("Write yes or no (or leave it blank), not “%(value)s”.") % {"value": value[:40]})
    )
    return None


def _member_row(line: int, row: dict[str, str], ctx: _Context) -> str:
    """Create or update one member from a row; returns "created", "updated" or "unchanged"."""
    errors: dict[str, list[str]] = {}
    cells = {name: _unformula(row.get(name, "")) for name in MEMBER_COLUMNS}
    if row.get("__extra__"):
        errors.setdefault("", []).append(str(_("The line has more cells than the header.")))
    number = cells["number"].strip()
    email = normalize_email(cells["email"])
    if not number and not email:
        errors.setdefault("email", []).append(
            str(_("Give the membership number or the e-mail, so the member can be found."))
        )
    for key, label in ((number, "number"), (email, "email")):
        if key:
            seen = ctx.seen_keys.get(f"{label}:{key}")
            if seen is not None:
                errors.setdefault(label, []).append(
                    str(
                        _("The same %(what)s is already on line %(line)d of the file.")
                        % {
                            "what": _("membership number") if label == "number" else _("e-mail"),
                            "line": seen,
                        }
                    )
                )
            else:
                ctx.seen_keys[f"{label}:{key}"] = line

    member: Member | None = None
    if number:
        member = Member.objects.filter(number=number).first()
        if member is None:
            errors.setdefault("number", []).append(
                str(
                    _(
                        "No member has the number %(number)s. Leave the number blank for new "
                        "members: they get one when they are created."
                    )
                    % {"number": number}
                )
            )
    elif email:
        member = Member.objects.not_erased().filter(email=email).first()
    if member is not None and member.status == Member.Status.ERASED:
        errors.setdefault("number", []).append(
            str(_("This member has been erased and cannot be changed."))
        )

    fields: dict[str, Any] = {}
    for name in ("first_name", "last_name", "phone", "postcode", "city", "birth_date"):
        if cells[name].strip():
            fields[name] = cells[name]
    if email:
        fields["email"] = email
    if cells["language"].strip():
        fields["language"] = cells["language"].strip().lower()
    store_code = cells["preferred_store"].strip()
    if store_code:
        store = ctx.stores.get(store_code.lower())
        if store is None:
            errors.setdefault("preferred_store", []).append(
                str(_("No store has the code “%(code)s”.") % {"code": store_code[:40]})
            )
        else:
            fields["preferred_store"] = store
    if cells["interests"].strip():
        slugs = [s.strip().lower() for s in cells["interests"].split(";") if s.strip()]
        unknown = [s for s in slugs if s not in ctx.interests]
        if unknown:
            errors.setdefault("interests", []).append(
                str(_("Unknown interests: %(slugs)s.") % {"slugs": ", ".join(unknown)[:200]})
            )
        else:
            fields["interests"] = [ctx.interests[s] for s in dict.fromkeys(slugs)]
    consents = {}
    for column, purpose in _CONSENT_COLUMNS.items():
        choice = _yes_no(cells[column], column, errors)
        if choice is not None:
            consents[purpose] = choice

    # Validate the profile values with the profiles service's rules (nothing written).
    cleaned: dict[str, Any] = {}
    if not (member is not None and member.status == Member.Status.ERASED):
        try:
            cleaned = member_clean_fields(member=member, fields=fields)
        except ValidationError as error:
            for name, msgs in _messages(error).items():
                errors.setdefault(name, []).extend(msgs)
    if errors:
        raise _RowInvalid(errors)

    if member is None:
        member = member_create(
            source=Member.Source.IMPORT, actor=ctx.actor, request=ctx.request, **fields
        )
        outcome = "created"
    else:
        changed = {}
        for name, value in cleaned.items():
            if name == "interests":
                if {i.pk for i in member.interests.all()} != {i.pk for i in value}:
                    changed[name] = fields[name]
            elif name == "preferred_store":
                if member.preferred_store_id != value.pk:
                    changed[name] = value
            elif getattr(member, name) != value:
                changed[name] = fields[name]
        if changed:
            member_update(member=member, actor=ctx.actor, request=ctx.request, **changed)
        outcome = "updated" if changed else "unchanged"

    if consents:
        current = member_consents_granted(member=member)
        for purpose, granted in consents.items():
            if current.get(purpose) != granted:
                consent_set(
                    member=member,
                    purpose=purpose,
                    granted=granted,
                    source=ConsentEvent.Source.IMPORT,
                    actor=ctx.actor,
                )
                if outcome == "unchanged":
                    outcome = "updated"
    return outcome


# --- Rows: purchases -----------------------------------------------------------------------------


def _purchase_row(line: int, row: dict[str, str], ctx: _Context) -> str:
    errors: dict[str, list[str]] = {}
    cells = {name: _unformula(row.get(name, "")).strip() for name in PURCHASE_COLUMNS}
    if row.get("__extra__"):
        errors.setdefault("", []).append(str(_("The line has more cells than the header.")))
    key = f"{cells['source']}\x00{cells['external_id']}"
    if cells["source"] and cells["external_id"]:
        seen = ctx.seen_keys.get(key)
        if seen is not None:
            errors.setdefault("external_id", []).append(
                str(
                    _("The same source and external id are already on line %(line)d.")
                    % {"line": seen}
                )
            )
        else:
            ctx.seen_keys[key] = line
    original = None
    if cells["original_external_id"]:
        original = Purchase.objects.filter(
            source=cells["source"], external_id=cells["original_external_id"]
        ).first()
        if original is None:
            errors.setdefault("original_external_id", []).append(
                str(_("No purchase with this external id was found to return."))
            )
    if errors:
        raise _RowInvalid(errors)
    try:
        _purchase, created = purchase_record(
            member=cells["member"],
            purchased_at=cells["purchased_at"],
            amount=cells["amount"],
            currency=cells["currency"] or None,
            channel=cells["channel"],
            store=cells["store"] or None,
            source=cells["source"],
            external_id=cells["external_id"],
            original=original,
        )
    except ValidationError as error:
        raise _RowInvalid(_messages(error)) from None
    return "created" if created else "unchanged"


# --- Running ---------------------------------------------------------------------------------


def _context(actor: User | None, request: HttpRequest | None) -> _Context:
    return _Context(
        actor=actor,
        request=request,
        stores={store.code.lower(): store for store in Store.objects.all()},
        interests={interest.slug.lower(): interest for interest in Interest.objects.all()},
    )


def _run(
    *,
    kind: str,
    table: CsvTable,
    commit: bool,
    skip_bad: bool,
    actor: User | None,
    request: HttpRequest | None,
) -> ImportRun:
    """Every row in its own savepoint inside one transaction. Rolled back entirely unless
    `commit` and (no row failed, or `skip_bad`)."""
    handler: Callable[[int, dict[str, str], _Context], str] = (
        _member_row if kind == MemberImport.Kind.MEMBERS else _purchase_row
    )
    result = ImportRun(rows=len(table.rows))
    with transaction.atomic():
        _rows_apply(handler, table.rows, _context(actor, request), result)
        if not commit or (result.bad_lines and not skip_bad):
            transaction.set_rollback(True)
    return result


def _rows_apply(
    handler: Callable[[int, dict[str, str], _Context], str],
    rows: list[tuple[int, dict[str, str]]],
    ctx: _Context,
    result: ImportRun,
) -> None:
    """Each row in its own savepoint; outcomes and errors added to `result`."""
    for line, row in rows:
        try:
            with transaction.atomic():
                outcome = handler(line, row, ctx)
        except _RowInvalid as invalid:
            result.bad_lines.add(line)
            for name, msgs in invalid.errors.items():
                for message in msgs:
                    result.errors.append(RowError(line=line, field=name, message=message))
            continue
        if outcome == "created":
            result.created += 1
        elif outcome == "updated":
            result.updated += 1
        else:
            result.unchanged += 1


def _store_run(member_import: MemberImport, run: ImportRun) -> None:
    member_import.row_count = run.rows
    member_import.valid_count = run.valid
    member_import.error_count = len(run.bad_lines)
    member_import.created_count = run.created
    member_import.updated_count = run.updated
    member_import.unchanged_count = run.unchanged
    member_import.errors = [e.as_dict() for e in run.errors[:IMPORT_MAX_STORED_ERRORS]]


def _table(member_import: MemberImport) -> CsvTable:
    table = csv_read(
        bytes(member_import.content), max_bytes=IMPORT_MAX_BYTES, max_rows=IMPORT_MAX_ROWS
    )
    _header_check(table, member_import.kind)
    return table


def member_import_upload(
    *,
    kind: str,
    filename: str,
    data: bytes,
    actor: User | None,
    request: HttpRequest | None = None,
) -> MemberImport:
    """Store an uploaded CSV and check every row (a dry run that writes nothing but the
    MemberImport). A file that cannot be read at all is stored as failed, with the reason and
    without its content."""
    if kind not in MemberImport.Kind.values:
        raise ValidationError({"kind": _("Choose members or purchases.")})
    member_import = MemberImport(
        kind=kind,
        filename=(filename or "")[:255],
        uploaded_by=actor,
        sha256=hashlib.sha256(data).hexdigest(),
    )
    if len(data) > IMPORT_MAX_BYTES:
        # Refused before reading a byte of it.
        member_import.status = MemberImport.Status.FAILED
        member_import.errors = [
            {
                "line": 0,
                "field": "",
                "message": str(
                    _("The file is %(size).1f MB; at most %(limit).1f MB can be imported at once.")
                    % {"size": len(data) / 1024 / 1024, "limit": IMPORT_MAX_BYTES / 1024 / 1024}
                ),
            }
        ]
    else:
        member_import.content = data
        try:
            table = _table(member_import)
        except CsvReadError as error:
            member_import.status = MemberImport.Status.FAILED
            member_import.content = b""
            member_import.errors = [{"line": 0, "field": "", "message": str(error.message)}]
        else:
            member_import.encoding = table.encoding
            member_import.notices = list(table.notices)
            if not table.rows:
                member_import.status = MemberImport.Status.FAILED
                member_import.content = b""
                member_import.errors = [
                    {"line": 0, "field": "", "message": str(_("The file has no rows."))}
                ]
            else:
                run = _run(
                    kind=kind, table=table, commit=False, skip_bad=False, actor=actor, request=None
                )
                _store_run(member_import, run)
    with transaction.atomic():
        member_import.save()
        audit_log(
            action="member_import.upload",
            actor=actor,
            target=member_import,
            request=request,
            details={
                "kind": kind,
                "status": member_import.status,
                "rows": member_import.row_count,
                "errors": member_import.error_count,
                "sha256": member_import.sha256,
            },
        )
    return member_import


def member_import_confirm(
    *,
    member_import: MemberImport,
    actor: User | None,
    skip_bad_rows: bool = False,
    request: HttpRequest | None = None,
) -> MemberImport:
    """Import a previewed file in one transaction. Refused (ValidationError, nothing written)
    when it is not waiting for confirmation, or when rows have errors and `skip_bad_rows` is
    not set. The file's content is cleared afterwards."""
    with transaction.atomic():
        locked = MemberImport.objects.select_for_update().filter(pk=member_import.pk).first()
        if locked is None or locked.status != MemberImport.Status.PREVIEWED:
            raise ValidationError(
                _("This file has already been imported or cancelled; upload it again.")
            )
        table = _table(locked)
        run = _run(
            kind=locked.kind,
            table=table,
            commit=True,
            skip_bad=skip_bad_rows,
            actor=actor,
            request=request,
        )
        _store_run(locked, run)
        if run.bad_lines and not skip_bad_rows:
            raise ValidationError(
                _(
                    "%(count)d rows have errors, so nothing was imported. Correct the file and "
                    "upload it again, or choose to skip the rows with errors."
                )
                % {"count": len(run.bad_lines)}
            )
        locked.skipped_count = len(run.bad_lines)
        locked.status = MemberImport.Status.IMPORTED
        locked.imported_at = timezone.now()
        locked.content = b""
        locked.save()
        audit_log(
            action="member_import.confirm",
            actor=actor,
            target=locked,
            request=request,
            details={
                "kind": locked.kind,
                "created": run.created,
                "updated": run.updated,
                "unchanged": run.unchanged,
                "skipped": len(run.bad_lines),
                "skipped_lines": sorted(run.bad_lines)[:IMPORT_MAX_STORED_ERRORS],
            },
        )
    return locked


# --- In the background, with progress (what the admin uses) -------------------------------------

IMPORT_CHUNK_ROWS = 500
IMPORT_TASK = "members.tasks.member_import_run_task"


def member_import_queue(
    *,
    member_import: MemberImport,
    actor: User | None,
    skip_bad_rows: bool = False,
    request: HttpRequest | None = None,
) -> MemberImport:
    """Start importing a previewed file in the background: refused (ValidationError, nothing
    written) when it is not waiting for confirmation, or when the preview found rows with errors
    and `skip_bad_rows` is not set. The worker's task (members.tasks.member_import_run_task) is
    queued once this transaction commits."""
    from celery import current_app

    with transaction.atomic():
        locked = MemberImport.objects.select_for_update().filter(pk=member_import.pk).first()
        if locked is None or locked.status != MemberImport.Status.PREVIEWED:
            raise ValidationError(
                _("This file has already been imported or cancelled; upload it again.")
            )
        if locked.error_count and not skip_bad_rows:
            raise ValidationError(
                _(
                    "%(count)d rows have errors, so nothing was imported. Correct the file and "
                    "upload it again, or choose to skip the rows with errors."
                )
                % {"count": locked.error_count}
            )
        locked.status = MemberImport.Status.IMPORTING
        locked.skip_bad_rows = skip_bad_rows
        locked.progress = 0
        locked.progress_at = timezone.now()
        locked.created_count = locked.updated_count = locked.unchanged_count = 0
        locked.skipped_count = 0
        locked.errors = []
        locked.save()
        audit_log(
            action="member_import.start",
            actor=actor,
            target=locked,
            request=request,
            details={"kind": locked.kind, "rows": locked.row_count, "skip_bad_rows": skip_bad_rows},
        )
        actor_id = actor.pk if actor is not None else None
        transaction.on_commit(lambda: current_app.tasks[IMPORT_TASK].delay(locked.pk, actor_id))
    return locked


def member_import_resume(
    *, member_import: MemberImport, actor: User | None, request: HttpRequest | None = None
) -> None:
    """Queue the task again for an import still running (its worker was lost with the task): it
    carries on from the rows already done."""
    from celery import current_app

    if member_import.status != MemberImport.Status.IMPORTING:
        return
    audit_log(action="member_import.resume", actor=actor, target=member_import, request=request)
    actor_id = actor.pk if actor is not None else None
    transaction.on_commit(lambda: current_app.tasks[IMPORT_TASK].delay(member_import.pk, actor_id))


def member_import_run(
    *, member_import_id: int, actor_id: int | None = None, chunk_rows: int = IMPORT_CHUNK_ROWS
) -> MemberImport | None:
    """The task's body: import the rows after `progress`, `chunk_rows` at a time, each chunk in
    one transaction together with the new progress and counts, the import row locked meanwhile.
    A worker that dies mid-chunk loses only that chunk's uncommitted work; the task delivered
    again (acks_late) resumes at `progress`, and two workers on the same import take turns on
    the lock, so no row is imported twice (and rows are idempotent anyway: members matched by
    number or e-mail, purchases stored once per source and external id). A row that fails now
    although the preview passed it (the data changed meanwhile) is skipped and listed."""
    actor = User.objects.filter(pk=actor_id).first() if actor_id else None
    first = MemberImport.objects.filter(pk=member_import_id).first()
    if first is None or first.status != MemberImport.Status.IMPORTING:
        return first
    table = _table(first)  # the content does not change while importing
    handler: Callable[[int, dict[str, str], _Context], str] = (
        _member_row if first.kind == MemberImport.Kind.MEMBERS else _purchase_row
    )
    while True:
        with transaction.atomic():
            locked = MemberImport.objects.select_for_update().filter(pk=member_import_id).first()
            if locked is None or locked.status != MemberImport.Status.IMPORTING:
                return locked
            rows = table.rows[locked.progress : locked.progress + chunk_rows]
            if not rows:
                _import_finish(locked, actor)
                return locked
            result = ImportRun(rows=len(rows))
            _rows_apply(handler, rows, _context(actor, None), result)
            locked.progress += len(rows)
            locked.progress_at = timezone.now()
            locked.created_count += result.created
            locked.updated_count += result.updated
            locked.unchanged_count += result.unchanged
            locked.skipped_count += len(result.bad_lines)
            room = IMPORT_MAX_STORED_ERRORS - len(locked.errors)
            if room > 0:
                locked.errors = [*locked.errors, *(e.as_dict() for e in result.errors[:room])]
            locked.save()


def _import_finish(locked: MemberImport, actor: User | None) -> None:
    locked.status = MemberImport.Status.IMPORTED
    locked.imported_at = timezone.now()
    locked.content = b""
    locked.save()
    audit_log(
        action="member_import.confirm",
        actor=actor,
        target=locked,
        details={
            "kind": locked.kind,
            "created": locked.created_count,
            "updated": locked.updated_count,
            "unchanged": locked.unchanged_count,
            "skipped": locked.skipped_count,
        },
    )


@transaction.atomic
def member_import_cancel(
    *, member_import: MemberImport, actor: User | None, request: HttpRequest | None = None
) -> MemberImport:
    """Drop a previewed file without importing it (its content is cleared)."""
    locked = MemberImport.objects.select_for_update().get(pk=member_import.pk)
    if locked.status != MemberImport.Status.PREVIEWED:
        return locked
    locked.status = MemberImport.Status.CANCELLED
    locked.content = b""
    locked.save(update_fields=["status", "content"])
    audit_log(action="member_import.cancel", actor=actor, target=locked, request=request)
    return locked
