"""GDPR: a member's data export (right of access and portability) and erasure (right to be
forgotten).

`member_export_zip` builds a ZIP of everything the club holds about one member: profile.json,
consents.csv, purchases.csv, purchase_lines.csv, scores.json, audit.json, one CSV per app that
registered an exporter (members.gdpr), and README.txt explaining the files in the member's
language.

`member_erase` removes the member's personal data in one transaction, and keeps what the books
need: the Member row (its id), its purchases with amounts, dates, stores and channels. Decisions:

- The membership number is replaced by an anonymous "X" + 11 hex digits: the printed number is
  what tills and other systems use to identify a person, so keeping it would let anyone holding
  an old receipt or card re-identify the row. Purchases stay linked to the row by id.
- The login is kept as a row (other apps' records point to it) but anonymised: inactive, an
  unusable unique e-mail, no name, unusable password (which also ends every session, as Django
  checks each session against the password hash), no allauth e-mail addresses, MFA
  authenticators or API tokens.
- Every granted consent is withdrawn with a new event (source staff or portal), so the member is
  never messaged again; the IP addresses recorded with their consent events are cleared.
- Audit entries about the member and by their login keep what was done and when, but no longer
  name them.
- Every eraser registered in members.gdpr is called.
- Wherever else the club kept their data as a copy, it is scrubbed (`_copies_forget`): stored
  API responses replayed for an Idempotency-Key, audit-log details, the Django admin's history,
  uploaded import files that named them. Values holding any of their identifiers (membership
  number, e-mail, phone, name, birth date) become "[erased]"; the records stay (a replayed key
  must not run its write again, the audit trail keeps what was done). No cache holds personal
  data: the caches keep rate-limit counters keyed by user id or address for minutes only.
- Every model that points to a member or a login, or holds free-form or personal fields, is
  listed in members.gdpr's coverage (`gdpr_model_covered`) with how erasure treats it; a test
  walks the models and fails on one that is not, so a new app cannot forget its part.

Erasing an erased member changes nothing and raises MemberAlreadyErased.
"""

from __future__ import annotations

import io
import json
import secrets
import zipfile
from collections.abc import Iterable, Iterator
from typing import Any

from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.db.models import Q, TextField
from django.db.models.functions import Cast
from django.http import HttpRequest
from django.utils import timezone, translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.email import outgoing_emails_forget, outgoing_emails_to
from core.models import AuditLogEntry, IdempotencyKey
from core.services import audit_log
from members.csvutil import csv_bytes
from members.gdpr import gdpr_erasers, gdpr_exporter_description, gdpr_exporters
from members.models import (
    ConsentEvent,
    ConsentPurpose,
    Member,
    MemberImport,
    MemberScore,
    Purchase,
    PurchaseLine,
    User,
)
from members.services.consent import consent_set

ERASED_EMAIL_DOMAIN = "erased.invalid"


class MemberAlreadyErased(ValidationError):
    """The member's personal data was erased before; nothing was changed."""


def member_consents_granted(*, member: Member) -> dict[str, bool]:
    """{purpose: granted} from the member's latest event of each purpose (one query; services
    do not import selectors, and a member's consent log is short)."""
    state: dict[str, bool] = {}
    events = ConsentEvent.objects.filter(member=member).order_by("purpose", "-created_at", "-id")
    for purpose, granted in events.values_list("purpose", "granted"):
        state.setdefault(purpose, granted)
    return {purpose: state.get(purpose, False) for purpose in ConsentPurpose.values}


# --- Export ----------------------------------------------------------------------------------


def _json(data: Any) -> bytes:
    return json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2).encode("utf-8")


def _profile(member: Member) -> dict[str, Any]:
    user = member.user
    return {
        "membership_number": member.number,
        "first_name": member.first_name,
        "last_name": member.last_name,
        "email": member.email,
        "phone": member.phone,
        "birth_date": member.birth_date,
        "postcode": member.postcode,
        "city": member.city,
        "language": member.language,
        "preferred_store": (
            {"code": member.preferred_store.code, "name": member.preferred_store.name}
            if member.preferred_store
            else None
        ),
        "interests": [interest.name for interest in member.interests.all()],
        "joined_through": member.source,
        "referred_by_member_number": member.referred_by.number if member.referred_by else None,
        "status": member.status,
        "member_since": member.joined_at,
        "updated": member.updated_at,
        "staff_notes": member.notes,
        "contact_at_the_club": (
            member.staff_contact.get_full_name() or str(_("a member of staff"))
            if member.staff_contact
            else None
        ),
        "login": (
            {
                "email": user.email,
                "first_name": user.first_name,
                "last_name": user.last_name,
                "language": user.language,
                "date_joined": user.date_joined,
                "last_login": user.last_login,
            }
            if user is not None
            else None
        ),
    }


def _consent_rows(member: Member) -> Iterable[list[Any]]:
    events = (
        ConsentEvent.objects.filter(member=member).select_related("text").order_by("created_at")
    )
    for event in events:
        text = ""
        if event.text is not None:
            text = event.text.text_sv if member.language == "sv" else event.text.text_en
        yield [
            event.created_at,
            event.purpose,
            event.granted,
            event.source,
            event.text.version if event.text else "",
            text,
            event.ip_address,
        ]


def _purchase_rows(member: Member) -> Iterable[list[Any]]:
    purchases = (
        Purchase.objects.filter(member=member)
        .select_related("store", "original")
        .order_by("purchased_at", "id")
    )
    for p in purchases:
        yield [
            p.purchased_at,
            p.source,
            p.external_id,
            p.channel,
            p.store.code if p.store else "",
            p.store.name if p.store else "",
            p.amount,
            p.currency,
            p.original.external_id if p.original else "",
        ]


def _line_rows(member: Member) -> Iterable[list[Any]]:
    lines = (
        PurchaseLine.objects.filter(purchase__member=member)
        .select_related("purchase")
        .order_by("purchase__purchased_at", "purchase_id", "id")
    )
    for line in lines:
        yield [
            line.purchase.source,
            line.purchase.external_id,
            line.product,
            line.category,
            line.quantity,
            line.amount,
        ]


def _scores(member: Member) -> dict[str, Any] | None:
    row = MemberScore.objects.filter(member=member).values().first()
    if row is None:
        return None
    return {key: value for key, value in row.items() if key != "member_id"}


def _audit(member: Member) -> list[dict[str, Any]]:
    """What was done to the member's records and when; who did it is told as "you", "staff" or
    "system" (staff names are other people's personal data)."""
    entries = AuditLogEntry.objects.filter(
        target_type=Member._meta.label_lower, target_id=str(member.pk)
    ).order_by("created_at", "id")
    result = []
    for entry in entries:
        if entry.actor_id is None:
            who = "system"
        elif entry.actor_id == member.user_id:
            who = "you"
        else:
            who = "staff"
        result.append({"when": entry.created_at, "action": entry.action, "by": who})
    return result


def _email_addresses(member: Member) -> list[str]:
    return [member.email, member.user.email if member.user else ""]


def _email_rows(member: Member) -> Iterator[list[Any]]:
    for email in outgoing_emails_to(addresses=_email_addresses(member)):
        yield [email.created_at, email.status, email.subject, email.sent_at]


def _dict_rows_csv(rows: list[dict[str, Any]]) -> bytes:
    header: list[str] = []
    for row in rows:
        for key in row:
            if key not in header:
                header.append(key)
    return csv_bytes(header, ([row.get(key) for key in header] for row in rows))


def _readme(member: Member, extra: list[str]) -> str:
    with translation.override(member.language):
        parts = [
            gettext("Your data at the club"),
            "",
            gettext(
                "This archive holds everything the club keeps about you (membership %(number)s), "
                "as of %(date)s."
            )
            % {"number": member.number, "date": timezone.now().strftime("%Y-%m-%d %H:%M %Z")},
            "",
            "profile.json  — "
            + gettext(
                "your profile: name, contact details, birth date, address, language, store, "
                "interests, staff notes and your login."
            ),
            "consents.csv  — "
            + gettext(
                "every consent you gave or withdrew: when, for what, how, and the text you saw."
            ),
            "purchases.csv — "
            + gettext("your purchases and returns: when, where, the amount and currency."),
            "purchase_lines.csv — " + gettext("the products of each purchase, where known."),
            "scores.json   — "
            + gettext(
                "figures computed from your purchases (how recently, how often and how much you "
                "buy), used to choose offers for you."
            ),
            "audit.json    — "
            + gettext(
                "when your records were created or changed, and by whom (you, staff or the system)."
            ),
            "emails.csv    — "
            + gettext("the e-mail the club sent you or is about to send: when, and the subject."),
        ]
        for name in extra:
            description = gdpr_exporter_description(name)
            parts.append(
                f"{name}.csv — "
                + (str(description) if description else gettext("more of your data at the club."))
            )
        parts += [
            "",
            gettext(
                "The CSV files are UTF-8 with commas; they open in Excel, LibreOffice or Numbers. "
                "Ask the club if anything is wrong or missing; you can correct your profile or "
                "delete your account under “My data” in the portal."
            ),
            "",
        ]
    return "\n".join(parts)


def member_export_zip(
    *, member: Member, actor: User | None = None, request: HttpRequest | None = None
) -> bytes:
    """Everything about `member` as a ZIP (bytes). Writes one audit entry ("member.gdpr_export")."""
    member = (
        Member.objects.select_related("user", "preferred_store", "staff_contact", "referred_by")
        .prefetch_related("interests")
        .get(pk=member.pk)
    )
    buffer = io.BytesIO()
    extra: list[str] = []
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("profile.json", _json(_profile(member)))
        archive.writestr(
            "consents.csv",
            csv_bytes(
                ["when", "purpose", "granted", "source", "text_version", "text", "ip_address"],
                _consent_rows(member),
            ),
        )
        archive.writestr(
            "purchases.csv",
            csv_bytes(
                [
                    "purchased_at",
                    "source",
                    "external_id",
                    "channel",
                    "store_code",
                    "store",
                    "amount",
                    "currency",
                    "return_of",
                ],
                _purchase_rows(member),
            ),
        )
        archive.writestr(
            "purchase_lines.csv",
            csv_bytes(
                ["source", "external_id", "product", "category", "quantity", "amount"],
                _line_rows(member),
            ),
        )
        archive.writestr("scores.json", _json(_scores(member)))
        archive.writestr("audit.json", _json(_audit(member)))
        archive.writestr(
            "emails.csv",
            csv_bytes(["queued", "status", "subject", "sent"], _email_rows(member)),
        )
        for name, exporter in sorted(gdpr_exporters().items()):
            archive.writestr(f"{name}.csv", _dict_rows_csv(list(exporter(member=member))))
            extra.append(name)
        archive.writestr("README.txt", _readme(member, extra).encode("utf-8"))
    audit_log(
        action="member.gdpr_export",
        actor=actor,
        target=member,
        request=request,
        details={"files": ["profile", "consents", "purchases", "emails", *extra]},
    )
    return buffer.getvalue()


# --- Erasure ---------------------------------------------------------------------------------


def _anonymous_number() -> str:
    for _attempt in range(10):
        number = "X" + secrets.token_hex(6)[:11].upper()
        if not Member.objects.filter(number=number).exists():
            return number
    raise RuntimeError("Could not find an unused anonymous number.")  # pragma: no cover


def _user_anonymise(user: User) -> None:
    from allauth.account.models import EmailAddress
    from allauth.mfa.models import Authenticator
    from rest_framework.authtoken.models import Token

    EmailAddress.objects.filter(user=user).delete()
    Authenticator.objects.filter(user=user).delete()
    Token.objects.filter(user=user).delete()
    user.email = f"erased-{user.pk}-{secrets.token_hex(8)}@{ERASED_EMAIL_DOMAIN}"
    user.first_name = ""
    user.last_name = ""
    user.is_active = False
    # An unusable password also ends every session: each is checked against the password hash.
    user.set_unusable_password()
    user.save(update_fields=["email", "first_name", "last_name", "is_active", "password"])
    AuditLogEntry.objects.filter(actor=user).update(actor_label=f"erased user {user.pk}")
    AuditLogEntry.objects.filter(target_type=User._meta.label_lower, target_id=str(user.pk)).update(
        target_repr=f"erased user {user.pk}"
    )


ERASED_VALUE = "[erased]"


def _scrub(value: Any, needles: list[str]) -> Any:
    """`value` (JSON-like) with every string that holds one of `needles` (case aside) replaced."""
    if isinstance(value, str):
        folded = value.casefold()
        return ERASED_VALUE if any(needle in folded for needle in needles) else value
    if isinstance(value, dict):
        return {key: _scrub(item, needles) for key, item in value.items()}
    if isinstance(value, list):
        return [_scrub(item, needles) for item in value]
    return value


def _identifiers(member: Member) -> tuple[list[str], list[str]]:
    """(what identifies the member on its own: number, e-mail addresses, phone — searched for;
    every value of theirs scrubbed from a record found: those and their names, birth date)."""
    keys = [member.number, *_email_addresses(member), member.phone]
    if member.user is not None:
        keys.append(member.user.email)
    keys = sorted({key.casefold() for key in keys if key and len(key) >= 4})
    names = [member.first_name, member.last_name, f"{member.first_name} {member.last_name}"]
    if member.birth_date:
        names.append(member.birth_date.isoformat())
    scrub = sorted({*keys, *(name.casefold() for name in names if name and len(name) >= 2)})
    return keys, scrub


def _text_matches(field: str, keys: list[str]) -> Q:
    query = Q()
    for key in keys:
        query |= Q(**{f"{field}_text__icontains": key})
    return query


def _copies_forget(member: Member) -> dict[str, int]:
    """Scrub the member's data from the copies the club keeps of what was said about them:
    stored Idempotency-Key responses, audit-log details, the admin's history, import files.
    Set-based: one query per kind finds the records that name them."""
    from django.contrib.admin.models import LogEntry
    from django.contrib.contenttypes.models import ContentType

    keys, scrub = _identifiers(member)
    counts = {"idempotency_responses": 0, "audit_details": 0, "admin_history": 0, "imports": 0}
    if not keys:
        return counts
    responses = IdempotencyKey.objects.annotate(
        response_body_text=Cast("response_body", TextField())
    ).filter(_text_matches("response_body", keys) | Q(user_id=member.user_id, user__isnull=False))
    for record in responses:
        record.response_body = _scrub(record.response_body, scrub)
        record.save(update_fields=["response_body"])
        counts["idempotency_responses"] += 1
    about = Q(target_type=Member._meta.label_lower, target_id=str(member.pk))
    if member.user_id is not None:
        about |= Q(actor_id=member.user_id)
        about |= Q(target_type=User._meta.label_lower, target_id=str(member.user_id))
    entries = AuditLogEntry.objects.annotate(details_text=Cast("details", TextField())).filter(
        _text_matches("details", keys) | about
    )
    for entry in entries:
        entry.details = _scrub(entry.details, scrub)
        entry.save(update_fields=["details"])
        counts["audit_details"] += 1
    if member.user_id is not None:
        AuditLogEntry.objects.filter(actor_id=member.user_id).update(ip_address=None)
    counts["admin_history"] = LogEntry.objects.filter(
        Q(content_type=ContentType.objects.get_for_model(Member), object_id=str(member.pk))
        | Q(content_type=ContentType.objects.get_for_model(User), object_id=str(member.user_id))
    ).update(object_repr=ERASED_VALUE)
    # Upload files are bytes: look for each identifier as UTF-8 in the database, then scrub.
    found = set()
    if connection.vendor == "postgresql":
        for key in keys:
            found |= set(
                MemberImport.objects.extra(
                    where=["strpos(lower(encode(content, 'escape')), %s) > 0"],
                    params=[key],
                ).values_list("pk", flat=True)
            )
    else:
        for pk, content in MemberImport.objects.values_list("pk", "content"):
            text = bytes(content).decode("utf-8", "replace").casefold()
            if any(key in text for key in keys):
                found.add(pk)
    for member_import in MemberImport.objects.filter(pk__in=found):
        member_import.content = b""
        member_import.errors = _scrub(member_import.errors, scrub)
        member_import.notices = _scrub(member_import.notices, scrub)
        member_import.save(update_fields=["content", "errors", "notices"])
        counts["imports"] += 1
    return counts


def member_erase(
    *, member: Member, actor: User | None = None, request: HttpRequest | None = None
) -> Member:
    """Erase `member`'s personal data (see the module's docstring for what is kept). `actor` is
    the staff user, or the member's own login when they delete their account in the portal.
    Raises MemberAlreadyErased (nothing changed) when the member was erased before."""
    with transaction.atomic():
        locked = Member.objects.select_for_update().filter(pk=member.pk).first()
        if locked is None:
            raise ValidationError(_("This member does not exist."))
        if locked.status == Member.Status.ERASED:
            raise MemberAlreadyErased(
                _(
                    "This member's personal data was already erased on %(date)s; nothing was "
                    "changed."
                )
                % {"date": locked.erased_at.strftime("%Y-%m-%d") if locked.erased_at else "?"},
                code="already_erased",
            )
        by_self = actor is not None and locked.user_id is not None and actor.pk == locked.user_id
        source = ConsentEvent.Source.PORTAL if by_self else ConsentEvent.Source.STAFF
        withdrawn = []
        for purpose, granted in member_consents_granted(member=locked).items():
            if granted:
                consent_set(
                    member=locked,
                    purpose=purpose,
                    granted=False,
                    source=source,
                    actor=actor if actor is not None and actor.pk else None,
                )
                withdrawn.append(purpose)
        ConsentEvent.objects.filter(member=locked, ip_address__isnull=False).update(ip_address=None)
        emails_deleted = outgoing_emails_forget(addresses=_email_addresses(locked))
        copies = _copies_forget(locked)
        erasers = []
        for eraser in gdpr_erasers():
            eraser(member=locked)
            erasers.append(f"{eraser.__module__}.{getattr(eraser, '__qualname__', eraser)}")

        old_number = locked.number
        locked.interests.clear()
        locked.number = _anonymous_number()
        locked.first_name = ""
        locked.last_name = ""
        locked.email = ""
        locked.phone = ""
        locked.birth_date = None
        locked.postcode = ""
        locked.city = ""
        locked.notes = ""
        locked.staff_contact = None
        locked.preferred_store = None
        locked.referred_by = None
        locked.status = Member.Status.ERASED
        locked.erased_at = timezone.now()
        locked.save()
        if locked.user is not None:
            _user_anonymise(locked.user)
        AuditLogEntry.objects.filter(
            target_type=Member._meta.label_lower, target_id=str(locked.pk)
        ).update(target_repr=str(locked))
        audit_log(
            action="member.erase",
            actor=actor,
            target=locked,
            request=request,
            details={
                "by": "member" if by_self else "staff",
                "consents_withdrawn": withdrawn,
                "emails_deleted": emails_deleted,
                "copies_scrubbed": copies,
                "erasers": erasers,
                "login_disabled": locked.user_id is not None,
                "number_replaced": old_number != locked.number,
            },
        )
    return locked
