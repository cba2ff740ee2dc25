"""Writes for segments: create and update (rules validated), freeze a snapshot, and the two
exports (a member CSV, and hashed identifiers for ad platforms' customer matching).

Exports are writes too: each is permission-checked (members.export_member) and written to the
audit log before the first row leaves, with who, what and how many.

Ad-platform matching file (Google Ads Customer Match, Meta Custom Audiences)
---------------------------------------------------------------------------
Only members whose latest ad_matching consent is a grant are included. Identifiers are
normalised and then SHA-256 hashed (lower-case hex), as both platforms require:

- e-mail: surrounding whitespace trimmed and lower-cased (Unicode NFKC first, as the profile
  does). Both guides ask for exactly this. Google's older advice to drop dots in gmail.com
  addresses is not applied: Meta does not do it, and the address a member gave us is the one
  the platforms hold for them.
- phone: E.164, i.e. "+", the country code and the national number without its leading 0 and
  without spaces or dashes ("+46701234567"); Swedish numbers without a country code are read
  as Swedish (PHONE_DEFAULT_REGION). Google's guide asks for E.164 *with* the "+". Meta's
  guide asks for the same digits *without* the "+" ("46701234567"); since the hash of the two
  differs, `platform="meta"` drops the "+" before hashing. The default is Google's form.

A member with neither identifier is left out; a missing one is an empty cell.
"""

from __future__ import annotations

import datetime
import hashlib
import unicodedata
from collections.abc import Iterator
from typing import Any

import phonenumbers
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import BooleanField, ExpressionWrapper, QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.services import audit_log
from members.models import Member, Segment, SegmentSnapshot
from members.segments import consent_q, segment_q, segment_rules_validate

EXPORT_PERMISSION = "members.export_member"
AD_PLATFORMS = ("google", "meta")

MEMBER_CSV_HEADER = [
    "number",
    "first_name",
    "last_name",
    "email",
    "phone",
    "postcode",
    "city",
    "language",
    "status",
    "joined_at",
]
AD_CSV_HEADER = ["email_sha256", "phone_sha256"]


def _clean_name(name: Any, *, segment: Segment | None, errors: dict[str, list]) -> str:
    text = " ".join(str(name or "").split())
    if not text:
        errors.setdefault("name", []).append(_("Give the segment a name."))
    elif len(text) > 120:
        errors.setdefault("name", []).append(_("The name may be at most 120 characters."))
    else:
        clash = Segment.objects.filter(name__iexact=text)
        if segment is not None:
            clash = clash.exclude(pk=segment.pk)
        if clash.exists():
            errors.setdefault("name", []).append(
                _("A segment named “%(name)s” already exists.") % {"name": text}
            )
    return text


def _clean_rules(rules: Any, errors: dict[str, list]) -> dict[str, Any]:
    try:
        return segment_rules_validate(rules)
    except ValidationError as error:
        errors.setdefault("rules", []).extend(error.messages)
        return {}


def segment_clean(*, segment: Segment | None, name: Any, rules: Any) -> dict[str, Any]:
    """{"name", "rules"} checked and normalised as segment_create/segment_update would store
    them (for forms that show errors next to the fields before saving); ValidationError with
    a message list per field otherwise."""
    errors: dict[str, list] = {}
    cleaned = {
        "name": _clean_name(name, segment=segment, errors=errors),
        "rules": _clean_rules(rules, errors),
    }
    if errors:
        raise ValidationError(errors)
    return cleaned


@transaction.atomic
def segment_create(
    *,
    name: str,
    rules: Any,
    description: str = "",
    actor=None,
    request: HttpRequest | None = None,
) -> Segment:
    """A new segment; ValidationError({"name"|"rules": [...]}) and nothing saved when invalid."""
    errors: dict[str, list] = {}
    clean_name = _clean_name(name, segment=None, errors=errors)
    clean_rules = _clean_rules(rules, errors)
    if errors:
        raise ValidationError(errors)
    segment = Segment.objects.create(
        name=clean_name,
        description=(description or "").strip(),
        rules=clean_rules,
        created_by=actor if actor is not None and actor.is_authenticated else None,
    )
    audit_log(
        action="segment.create",
        actor=actor,
        target=segment,
        request=request,
        details={"rules": clean_rules},
    )
    return segment


@transaction.atomic
def segment_update(
    *,
    segment: Segment,
    name: str | None = None,
    rules: Any = None,
    description: str | None = None,
    actor=None,
    request: HttpRequest | None = None,
) -> Segment:
    """Change what is given (None: unchanged); validated like segment_create."""
    errors: dict[str, list] = {}
    changes: dict[str, Any] = {}
    if name is not None:
        changes["name"] = _clean_name(name, segment=segment, errors=errors)
    if rules is not None:
        changes["rules"] = _clean_rules(rules, errors)
    if description is not None:
        changes["description"] = description.strip()
    if errors:
        raise ValidationError(errors)
    changed = [field for field, value in changes.items() if getattr(segment, field) != value]
    if not changed:
        return segment
    for field in changed:
        setattr(segment, field, changes[field])
    segment.save(update_fields=[*changed, "updated_at"])
    audit_log(
        action="segment.update",
        actor=actor,
        target=segment,
        request=request,
        details={"fields": changed, **({"rules": segment.rules} if "rules" in changed else {})},
    )
    return segment


@transaction.atomic
def segment_snapshot_create(
    *,
    segment: Segment,
    actor=None,
    request: HttpRequest | None = None,
    now: datetime.datetime | None = None,
) -> SegmentSnapshot:
    """Freeze the segment's members now: one INSERT … SELECT into the snapshot's member table
    (the segment's own query, so no member list passes through Python)."""
    rules = segment_rules_validate(segment.rules)
    snapshot = SegmentSnapshot.objects.create(
        segment=segment,
        rules=rules,
        member_count=0,
        created_by=actor if actor is not None and actor.is_authenticated else None,
    )
    through = SegmentSnapshot.members.through
    members_sql, params = (
        _segment_members(rules=rules, now=now).order_by().values("pk").query.sql_with_params()
    )
    table = connection.ops.quote_name(through._meta.db_table)
    snapshot_column = connection.ops.quote_name(through._meta.get_field("segmentsnapshot").column)
    member_column = connection.ops.quote_name(through._meta.get_field("member").column)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({snapshot_column}, {member_column}) "  # noqa: S608 - names quoted, values bound
            f"SELECT %s, matched.* FROM ({members_sql}) matched",
            [snapshot.pk, *params],
        )
        inserted = cursor.rowcount
    snapshot.member_count = inserted
    snapshot.save(update_fields=["member_count"])
    audit_log(
        action="segment.snapshot",
        actor=actor,
        target=segment,
        request=request,
        details={"snapshot": snapshot.pk, "members": inserted},
    )
    return snapshot


def _segment_members(*, rules: Any, now: datetime.datetime | None = None) -> QuerySet[Member]:
    # As members.selectors.segments.segment_members (services do not import selectors).
    return Member.objects.not_erased().filter(segment_q(rules, now=now))


def _snapshot_members(*, snapshot: SegmentSnapshot) -> QuerySet[Member]:
    through = SegmentSnapshot.members.through
    return Member.objects.not_erased().filter(
        pk__in=through.objects.filter(segmentsnapshot_id=snapshot.pk).values("member_id")
    )


# --- Exports ---------------------------------------------------------------------------------


def _require_export(actor) -> None:
    if actor is None or not actor.has_perm(EXPORT_PERMISSION):
        raise PermissionDenied(_("You may not export members."))


def _export_members(
    *, segment: Segment | None, snapshot: SegmentSnapshot | None
) -> QuerySet[Member]:
    if (segment is None) == (snapshot is None):
        raise ValueError("Export either a segment or a snapshot.")
    if snapshot is not None:
        return _snapshot_members(snapshot=snapshot)
    assert segment is not None
    return _segment_members(rules=segment.rules)


CONTACTS_OMIT = "omit"
CONTACTS_MARK = "mark"
CONTACT_MODES = (CONTACTS_OMIT, CONTACTS_MARK)
CONSENT_COLUMNS = ["email_consent", "sms_consent"]


def segment_export_csv_rows(
    *,
    actor,
    segment: Segment | None = None,
    snapshot: SegmentSnapshot | None = None,
    request: HttpRequest | None = None,
    contacts: str = CONTACTS_OMIT,
) -> tuple[list[str], Iterator[list[Any]]]:
    """(header, rows) of the members of a segment (now) or of a snapshot (as frozen; members
    erased since are left out). Checks the export permission and writes the audit entry.

    A member's e-mail address is exported only with their e-mail consent and their phone
    number only with their SMS consent (`contacts="omit"`, the default), or every address is
    exported with the consent state as two columns, email_consent and sms_consent (yes/no), for
    the marketer to act on (`contacts="mark"`). The consents are read in the same query."""
    _require_export(actor)
    if contacts not in CONTACT_MODES:
        raise ValidationError(_("Choose whether to leave out or mark contacts without consent."))
    members = _export_members(segment=segment, snapshot=snapshot).annotate(
        email_ok=ExpressionWrapper(consent_q("email"), output_field=BooleanField()),
        sms_ok=ExpressionWrapper(consent_q("sms"), output_field=BooleanField()),
    )
    audit_log(
        action="segment.export_csv",
        actor=actor,
        target=segment or snapshot,
        request=request,
        details={
            "snapshot": snapshot.pk if snapshot else None,
            "members": members.count(),
            "contacts": contacts,
        },
    )
    values = (
        members.order_by("pk")
        .values_list(*MEMBER_CSV_HEADER, "email_ok", "sms_ok")
        .iterator(chunk_size=2000)
    )
    email_at = MEMBER_CSV_HEADER.index("email")
    phone_at = MEMBER_CSV_HEADER.index("phone")

    def rows() -> Iterator[list[Any]]:
        for *row, email_ok, sms_ok in values:
            if contacts == CONTACTS_MARK:
                yield [*row, "yes" if email_ok else "no", "yes" if sms_ok else "no"]
                continue
            if not email_ok:
                row[email_at] = ""
            if not sms_ok:
                row[phone_at] = ""
            yield row

    header = list(MEMBER_CSV_HEADER)
    if contacts == CONTACTS_MARK:
        header += CONSENT_COLUMNS
    return header, rows()


def sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def ad_email_normalize(email: str) -> str:
    """Trimmed and lower-cased (after Unicode NFKC), as Google and Meta ask."""
    return unicodedata.normalize("NFKC", email or "").strip().lower()


def ad_phone_normalize(phone: str, *, platform: str = "google") -> str:
    """E.164 with "+" for Google, the same digits without "+" for Meta; "" when not a valid
    number."""
    raw = (phone or "").strip()
    if not raw:
        return ""
    try:
        parsed = phonenumbers.parse(raw, settings.PHONE_DEFAULT_REGION)
    except phonenumbers.NumberParseException:
        return ""
    if not phonenumbers.is_valid_number(parsed):
        return ""
    e164 = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    return e164.lstrip("+") if platform == "meta" else e164


def ad_match_row(*, email: str, phone: str, platform: str = "google") -> list[str] | None:
    email_norm = ad_email_normalize(email)
    phone_norm = ad_phone_normalize(phone, platform=platform)
    if not email_norm and not phone_norm:
        return None
    return [
        sha256_hex(email_norm) if email_norm else "",
        sha256_hex(phone_norm) if phone_norm else "",
    ]


def segment_export_ad_rows(
    *,
    actor,
    segment: Segment | None = None,
    snapshot: SegmentSnapshot | None = None,
    platform: str = "google",
    request: HttpRequest | None = None,
) -> tuple[list[str], Iterator[list[str]]]:
    """(header, rows) of hashed e-mail and phone for ad-platform customer matching: only the
    members who granted ad_matching (see the module docstring for the normalisation)."""
    _require_export(actor)
    if platform not in AD_PLATFORMS:
        raise ValidationError(
            _("Unknown ad platform “%(platform)s”; use google or meta.") % {"platform": platform}
        )
    members = _export_members(segment=segment, snapshot=snapshot).filter(consent_q("ad_matching"))
    audit_log(
        action="segment.export_ad_match",
        actor=actor,
        target=segment or snapshot,
        request=request,
        details={
            "snapshot": snapshot.pk if snapshot else None,
            "platform": platform,
            "members": members.count(),
        },
    )
    values = members.order_by("pk").values_list("email", "phone").iterator(chunk_size=2000)

    def rows() -> Iterator[list[str]]:
        for email, phone in values:
            row = ad_match_row(email=email, phone=phone, platform=platform)
            if row is not None:
                yield row

    return list(AD_CSV_HEADER), rows()


def segment_export_filename(
    *, segment: Segment | None, snapshot: SegmentSnapshot | None, suffix: str
) -> str:
    target = segment or (snapshot.segment if snapshot else None)
    stamp = (snapshot.created_at if snapshot else timezone.now()).strftime("%Y%m%d-%H%M")
    base = "".join(c if c.isalnum() else "-" for c in (target.name if target else "segment"))
    return f"{base.strip('-').lower() or 'segment'}-{stamp}-{suffix}.csv"
