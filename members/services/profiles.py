"""Member profiles: create, update, link a login to a member, phone numbers and membership numbers.

Every write to a Member's profile goes through here, whoever makes it (portal, API, admin,
imports). Validation is done once, in `member_clean_fields`, and every problem is reported
together as `ValidationError({field: [messages]})` before anything is written.
"""

from __future__ import annotations

import datetime
import re
import secrets
from collections.abc import Iterable
from typing import Any

import phonenumbers
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.services import audit_log
from core.validators import date_in_window, text_one_line
from members.hooks import member_activity_run
from members.models import Interest, Member, Store, User, normalize_email
from members.services.users import user_set_language

# What a member may change about themselves (portal profile page, PATCH /api/v1/me/).
MEMBER_SELF_EDITABLE_FIELDS = (
    "first_name",
    "last_name",
    "phone",
    "birth_date",
    "postcode",
    "city",
    "language",
    "preferred_store",
    "interests",
)
# What staff and integrations may change through member_update (status "erased" is not among
# the statuses they may set: erasure is members.services.gdpr.member_erase).
MEMBER_UPDATABLE_FIELDS = (
    *MEMBER_SELF_EDITABLE_FIELDS,
    "email",
    "status",
    "staff_contact",
    "notes",
)
EARLIEST_BIRTH_DATE = datetime.date(1900, 1, 1)
MEMBER_NUMBER_LENGTH = 8
_MEMBER_NUMBER_ATTEMPTS = 20
_PHONE_MAX_LENGTH = 32
_MOBILE_TYPES = {
    phonenumbers.PhoneNumberType.MOBILE,
    phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
}
_POSTCODE_RE = re.compile(r"^[A-Z0-9](?:[A-Z0-9 -]{0,8}[A-Z0-9])?$")
_SWEDISH_POSTCODE_RE = re.compile(r"^(\d{3}) ?(\d{2})$")


class MemberLinkNeedsVerification(ValidationError):
    """A member with the user's e-mail exists, but the user has not proved the address yet."""


# --- Phone numbers ---------------------------------------------------------------------------


def phone_normalize(raw: str, *, region: str | None = None) -> str:
    """A mobile number in E.164 (+46701234567), read in `region` (default
    settings.PHONE_DEFAULT_REGION) when it has no country code. Blank gives "".

    Raises ValidationError for anything that is not a valid mobile number.
    """
    text = (raw or "").strip()
    if not text:
        return ""
    invalid = ValidationError(
        _("“%(value)s” is not a valid mobile phone number."),
        code="invalid_phone",
        params={"value": text[:_PHONE_MAX_LENGTH]},
    )
    if len(text) > _PHONE_MAX_LENGTH or not text.isprintable():
        raise invalid
    try:
        number = phonenumbers.parse(text, region or settings.PHONE_DEFAULT_REGION)
    except phonenumbers.NumberParseException:
        raise invalid from None
    if not phonenumbers.is_valid_number(number):
        raise invalid
    if phonenumbers.number_type(number) not in _MOBILE_TYPES:
        raise ValidationError(
            _("“%(value)s” is not a mobile number: enter a number that can receive text messages."),
            code="not_mobile",
            params={"value": text},
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


# --- Membership numbers ----------------------------------------------------------------------


def _luhn_check_digit(payload: str) -> str:
    total = 0
    for position, char in enumerate(reversed(payload)):
        digit = int(char)
        if position % 2 == 0:  # these are doubled once the check digit is appended
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return str((10 - total % 10) % 10)


def member_number_is_valid(number: str) -> bool:
    """Eight ASCII digits, not starting with 0, the last a Luhn check digit of the others."""
    if (
        not isinstance(number, str)
        or len(number) != MEMBER_NUMBER_LENGTH
        or not number.isascii()
        or not number.isdigit()
        or number[0] == "0"
    ):
        return False
    return _luhn_check_digit(number[:-1]) == number[-1]


def member_number_generate() -> str:
    """A random valid membership number (not checked against the database)."""
    payload = str(secrets.randbelow(9) + 1) + "".join(
        str(secrets.randbelow(10)) for _digit in range(MEMBER_NUMBER_LENGTH - 2)
    )
    return payload + _luhn_check_digit(payload)


def _member_number_unused() -> str:
    for _attempt in range(_MEMBER_NUMBER_ATTEMPTS):
        number = member_number_generate()
        if not Member.objects.filter(number=number).exists():
            return number
    raise RuntimeError("No unused membership number found; widen MEMBER_NUMBER_LENGTH.")


# --- Validation ------------------------------------------------------------------------------


def _clean_text(value: Any, *, field: str, max_length: int, errors: dict) -> str:
    text = " ".join(str(value or "").split())
    try:
        text_one_line(text)
    except ValidationError as error:
        errors.setdefault(field, []).append(error)
        return ""
    if len(text) > max_length:
        errors.setdefault(field, []).append(
            ValidationError(
                _("At most %(limit)d characters, please."),
                code="max_length",
                params={"limit": max_length},
            )
        )
    return text


def _clean_birth_date(value: Any, errors: dict) -> datetime.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, datetime.datetime):
        value = value.date()
    if isinstance(value, str):
        try:
            value = datetime.date.fromisoformat(value.strip())
        except ValueError:
            errors.setdefault("birth_date", []).append(
                ValidationError(_("Enter the birth date as YYYY-MM-DD."), code="invalid")
            )
            return None
    if not isinstance(value, datetime.date):
        errors.setdefault("birth_date", []).append(
            ValidationError(_("Enter the birth date as YYYY-MM-DD."), code="invalid")
        )
        return None
    if value > timezone.localdate():
        errors.setdefault("birth_date", []).append(
            ValidationError(_("The birth date cannot be in the future."), code="future")
        )
    elif value < EARLIEST_BIRTH_DATE:
        errors.setdefault("birth_date", []).append(
            ValidationError(
                _("The birth date cannot be before %(year)d."),
                code="too_old",
                params={"year": EARLIEST_BIRTH_DATE.year},
            )
        )
    else:
        try:
            date_in_window(value)  # the club's window may be narrower than a birth date's
        except ValidationError as error:
            errors.setdefault("birth_date", []).append(error)
    return value


def _clean_postcode(value: Any, errors: dict) -> str:
    text = " ".join(str(value or "").split()).upper()
    if not text:
        return ""
    swedish = _SWEDISH_POSTCODE_RE.match(text)
    if swedish:
        return swedish.group(1) + swedish.group(2)
    if not _POSTCODE_RE.match(text):
        errors.setdefault("postcode", []).append(
            ValidationError(
                _("Enter a postcode of letters and digits, e.g. 113 50."), code="invalid"
            )
        )
    return text


def member_clean_fields(*, member: Member | None, fields: dict[str, Any]) -> dict[str, Any]:
    """Validate and normalise profile `fields` for a new member (member=None) or an existing one.

    Returns the cleaned values; raises ValidationError({field: [...]}) listing every problem.
    Reads the database (e-mail uniqueness) but writes nothing.
    """
    errors: dict[str, list[ValidationError]] = {}
    cleaned: dict[str, Any] = {}
    for name, value in fields.items():
        if name in ("first_name", "last_name"):
            cleaned[name] = _clean_text(value, field=name, max_length=150, errors=errors)
        elif name == "city":
            cleaned[name] = _clean_text(value, field=name, max_length=80, errors=errors)
        elif name == "notes":
            cleaned[name] = str(value or "").strip()
        elif name == "email":
            email = normalize_email(value)
            if email:
                try:
                    validate_email(email)
                except ValidationError:
                    errors.setdefault("email", []).append(
                        ValidationError(_("Enter a valid e-mail address."), code="invalid")
                    )
                else:
                    others = Member.objects.filter(email=email)
                    if member is not None and member.pk:
                        others = others.exclude(pk=member.pk)
                    if others.exists():
                        errors.setdefault("email", []).append(
                            ValidationError(
                                _(
                                    "Another member already has the e-mail address "
                                    "%(email)s (addresses are compared ignoring case, spaces "
                                    "and Unicode form)."
                                ),
                                code="duplicate_email",
                                params={"email": email},
                            )
                        )
            cleaned[name] = email
        elif name == "phone":
            try:
                cleaned[name] = phone_normalize(str(value or ""))
            except ValidationError as error:
                errors.setdefault("phone", []).append(error)
        elif name == "birth_date":
            cleaned[name] = _clean_birth_date(value, errors)
        elif name == "postcode":
            cleaned[name] = _clean_postcode(value, errors)
        elif name == "language":
            language = value or settings.LANGUAGE_CODE
            if language not in dict(settings.LANGUAGES):
                errors.setdefault("language", []).append(
                    ValidationError(
                        _("“%(value)s” is not a language of the club."),
                        code="invalid",
                        params={"value": language},
                    )
                )
            cleaned[name] = language
        elif name == "preferred_store":
            if value is not None and not isinstance(value, Store):
                raise TypeError("preferred_store must be a Store or None.")
            changed = member is None or value is None or member.preferred_store_id != value.pk
            if value is not None and changed and not value.is_active:
                errors.setdefault("preferred_store", []).append(
                    ValidationError(
                        _("The store %(store)s is closed; choose another."),
                        code="inactive",
                        params={"store": value.name},
                    )
                )
            cleaned[name] = value
        elif name == "interests":
            interests = list(value or ())
            if any(not isinstance(interest, Interest) for interest in interests):
                raise TypeError("interests must be Interest objects.")
            cleaned[name] = interests
        elif name == "staff_contact":
            if value is not None and not (isinstance(value, User) and value.is_staff):
                errors.setdefault("staff_contact", []).append(
                    ValidationError(_("The contact must be a member of staff."), code="invalid")
                )
            cleaned[name] = value
        elif name == "status":
            allowed = {Member.Status.ACTIVE, Member.Status.PAUSED}
            if value not in allowed:
                errors.setdefault("status", []).append(
                    ValidationError(
                        _("The status can be set to active or paused; erasure is separate."),
                        code="invalid",
                    )
                )
            cleaned[name] = value
        elif name == "source":
            if value not in Member.Source.values:
                errors.setdefault("source", []).append(
                    ValidationError(_("Unknown way of joining."), code="invalid")
                )
            cleaned[name] = value
        else:
            raise TypeError(f"{name!r} is not a member field that can be set.")
    if errors:
        raise ValidationError(errors)
    return cleaned


# --- Create and update -----------------------------------------------------------------------


def member_create(
    *,
    source: str,
    first_name: str = "",
    last_name: str = "",
    email: str = "",
    phone: str = "",
    birth_date: datetime.date | None = None,
    postcode: str = "",
    city: str = "",
    language: str | None = None,
    preferred_store: Store | None = None,
    interests: Iterable[Interest] = (),
    staff_contact: User | None = None,
    notes: str = "",
    user: User | None = None,
    referred_by: Member | None = None,
    actor: User | None = None,
    request: HttpRequest | None = None,
) -> Member:
    """A new member with a fresh membership number. Raises ValidationError({field: [...]}).
    `referred_by`: the member whose referral link they signed up with."""
    fields = {
        "source": source,
        "first_name": first_name,
        "last_name": last_name,
        "email": email,
        "phone": phone,
        "birth_date": birth_date,
        "postcode": postcode,
        "city": city,
        "language": language,
        "preferred_store": preferred_store,
        "interests": interests,
        "staff_contact": staff_contact,
        "notes": notes,
    }
    cleaned = member_clean_fields(member=None, fields=fields)
    if user is None and not any(
        cleaned.get(name) for name in ("first_name", "last_name", "email", "phone")
    ):
        raise ValidationError(
            _("A member needs at least a name, an e-mail address or a phone number."),
            code="empty_member",
        )
    if user is not None and Member.objects.filter(user=user).exists():
        raise ValidationError(
            {"user": _("This login already belongs to a member.")}, code="duplicate_user"
        )
    interest_list = cleaned.pop("interests")
    with transaction.atomic():
        for _attempt in range(_MEMBER_NUMBER_ATTEMPTS):
            member = Member(
                number=_member_number_unused(), user=user, referred_by=referred_by, **cleaned
            )
            try:
                with transaction.atomic():
                    member.save(force_insert=True)
            except IntegrityError:
                # Another writer took the number or the e-mail between our check and our insert.
                if Member.objects.filter(number=member.number).exists():
                    continue
                if member.email and Member.objects.filter(email=member.email).exists():
                    raise ValidationError(
                        {"email": _("Another member already has this e-mail address.")},
                        code="duplicate_email",
                    ) from None
                raise
            break
        else:  # pragma: no cover - 20 collisions in a row on 90 million numbers
            raise RuntimeError("Could not allocate a membership number.")
        if interest_list:
            member.interests.set(interest_list)
        audit_log(
            action="member.create",
            actor=actor,
            target=member,
            request=request,
            details={"source": member.source, "linked_login": user is not None},
        )
    return member


PROFILE_COMPLETE_FIELDS = ("first_name", "last_name", "email", "phone", "birth_date", "postcode")


def member_profile_is_complete(member: Member) -> bool:
    """A complete profile has a first and last name, an e-mail address, a phone number, a birth
    date and a postcode."""
    return all(getattr(member, name) for name in PROFILE_COMPLETE_FIELDS)


def member_update(
    *, member: Member, actor: User | None = None, request: HttpRequest | None = None, **fields: Any
) -> Member:
    """Change a member's profile. Only MEMBER_UPDATABLE_FIELDS may be given; the audit log gets
    the names of the fields that changed (never their values). Unchanged values write nothing."""
    unknown = set(fields) - set(MEMBER_UPDATABLE_FIELDS)
    if unknown:
        raise TypeError(f"member_update cannot change {sorted(unknown)}.")
    if member.status == Member.Status.ERASED:
        raise ValidationError(_("This member has been erased and cannot be changed."))
    cleaned = member_clean_fields(member=member, fields=fields)
    changed: list[str] = []
    interests = cleaned.pop("interests", None)
    was_complete = member_profile_is_complete(member)
    with transaction.atomic():
        for name, value in cleaned.items():
            is_relation = name in ("preferred_store", "staff_contact")
            current = getattr(member, f"{name}_id" if is_relation else name)
            new = value.pk if is_relation and value is not None else value
            if current != new:
                setattr(member, name, value)
                changed.append(name)
        if changed:
            member.save(update_fields=[*changed, "updated_at"])
        if interests is not None:
            current_ids = set(member.interests.values_list("pk", flat=True))
            if current_ids != {interest.pk for interest in interests}:
                member.interests.set(interests)
                changed.append("interests")
                Member.objects.filter(pk=member.pk).update(updated_at=timezone.now())
        if "language" in changed and member.user_id is not None and member.user is not None:
            user_set_language(user=member.user, language=member.language)
        if changed:
            audit_log(
                action="member.update",
                actor=actor,
                target=member,
                request=request,
                details={"fields": sorted(changed)},
            )
            if not was_complete and member_profile_is_complete(member):
                member_activity_run(
                    member=member, activity="profile_completed", cause_key="profile"
                )
    return member


# --- Logins ----------------------------------------------------------------------------------


def _user_email_verified(user: User) -> bool:
    from allauth.account.models import EmailAddress

    return EmailAddress.objects.filter(
        user=user, email__iexact=normalize_email(user.email), verified=True
    ).exists()


def member_referrer_for_number(number: str | None) -> Member | None:
    """The non-erased member whose referral code (their membership number) is `number`."""
    number = (number or "").strip()
    if not number or not member_number_is_valid(number):
        return None
    return Member.objects.not_erased().filter(number=number).first()


def member_link_or_create_for_user(*, user: User, referral_number: str | None = None) -> Member:
    """The member behind a login: already linked; else the non-erased member with the same
    (normalised) e-mail who joined in store or was imported, once the user has proved the
    address; else a new member who joined through the portal.

    Raises MemberLinkNeedsVerification when a member with the e-mail exists and the user's
    address is not verified yet (linking then waits for the e-mail confirmation).
    `referral_number` (the ?ref= of the sign-up link) is recorded on a new member only.
    """
    with transaction.atomic():
        existing = Member.objects.filter(user=user).first()
        if existing is not None:
            return existing
        email = normalize_email(user.email)
        match = (
            Member.objects.select_for_update()
            .not_erased()
            .filter(email=email, user__isnull=True)
            .first()
            if email
            else None
        )
        if match is not None:
            if not _user_email_verified(user):
                raise MemberLinkNeedsVerification(
                    _("Confirm your e-mail address to see your membership."),
                    code="unverified",
                )
            match.user = user
            update_fields = ["user", "updated_at"]
            for name in ("first_name", "last_name"):
                if not getattr(match, name) and getattr(user, name):
                    setattr(match, name, getattr(user, name))
                    update_fields.append(name)
            match.save(update_fields=update_fields)
            audit_log(
                action="member.link",
                actor=user,
                target=match,
                details={"fields": sorted(set(update_fields) - {"updated_at"})},
            )
            return match
        # No member to link. Another member (erased, or with another login) may still hold the
        # address: the new member then starts without it rather than fail the sign-up.
        if email and Member.objects.filter(email=email).exists():
            email = ""
        return member_create(
            source=Member.Source.PORTAL,
            first_name=user.first_name,
            last_name=user.last_name,
            email=email,
            language=user.language,
            user=user,
            referred_by=member_referrer_for_number(referral_number),
            actor=user,
        )


def member_self_update(
    *,
    member: Member,
    user: User,
    request: HttpRequest | None = None,
    consents: dict[str, bool] | None = None,
    consent_source: str = "portal",
    ip_address: str | None = None,
    **fields: Any,
) -> Member:
    """A member changes their own profile (and, optionally, consents) in one go: all or nothing.
    Only MEMBER_SELF_EDITABLE_FIELDS; `user` must be the member's own login."""
    from members.services.consent import consent_set_many

    if member.user_id != user.pk:
        raise PermissionError("A member's own profile can only be changed by that member.")
    unknown = set(fields) - set(MEMBER_SELF_EDITABLE_FIELDS)
    if unknown:
        raise ValidationError({name: _("This field cannot be changed here.") for name in unknown})
    with transaction.atomic():
        member_update(member=member, actor=user, request=request, **fields)
        if consents:
            consent_set_many(
                member=member,
                choices=consents,
                source=consent_source,
                actor=user,
                ip_address=ip_address,
            )
    return member
