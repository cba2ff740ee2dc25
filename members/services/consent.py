"""Consent: an append-only log per member and purpose, each grant tied to the text shown.

The current state of a purpose is its latest event (none: not granted). Granting and
withdrawing are the same call, `consent_set`, from every channel (portal, store, import,
unsubscribe link, staff, API).
"""

from __future__ import annotations

from collections.abc import Mapping

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.services import audit_log
from members.hooks import member_activity_run
from members.models import ConsentEvent, ConsentPurpose, ConsentText, Member, User

# Granting one of these reports the "consent_given" activity (once per purpose: cause_key
# "consent:<purpose>", so granting again after a withdrawal earns nothing more).
MARKETING_PURPOSES = (ConsentPurpose.EMAIL_MARKETING, ConsentPurpose.SMS_MARKETING)


def _text_current(purpose: str) -> ConsentText | None:
    return (
        ConsentText.objects.filter(purpose=purpose, published_at__lte=timezone.now())
        .order_by("-version")
        .first()
    )


def _check(*, member: Member, purpose: str, source: str) -> None:
    if purpose not in ConsentPurpose.values:
        raise ValidationError(
            {"purpose": _("“%(value)s” is not a consent purpose.") % {"value": purpose}},
            code="invalid",
        )
    if source not in ConsentEvent.Source.values:
        raise ValidationError(
            {"source": _("“%(value)s” is not a consent source.") % {"value": source}},
            code="invalid",
        )
    if member.status == Member.Status.ERASED:
        raise ValidationError(_("This member has been erased; consent cannot be recorded."))


@transaction.atomic
def consent_set(
    *,
    member: Member,
    purpose: str,
    granted: bool,
    source: str,
    actor: User | None = None,
    ip_address: str | None = None,
) -> ConsentEvent | None:
    """Record that `member` granted or withdrew `purpose`, with the current text when granting.

    Writes nothing when the state would not change, and returns the latest event then (None
    when a never-granted purpose is withdrawn). Granting again is recorded when the text has a
    newer version since the last grant: the member then agreed to the new wording.
    Raises ValidationError for an unknown purpose or source, an erased member, or a grant while
    no text for the purpose is published.
    """
    event, _written = _consent_set(
        member=member,
        purpose=purpose,
        granted=granted,
        source=source,
        actor=actor,
        ip_address=ip_address,
    )
    return event


def _consent_set(
    *,
    member: Member,
    purpose: str,
    granted: bool,
    source: str,
    actor: User | None,
    ip_address: str | None,
) -> tuple[ConsentEvent | None, bool]:
    _check(member=member, purpose=purpose, source=source)
    # Serialise changes of one member's consents, so two clicks cannot both see "unchanged".
    Member.objects.select_for_update().filter(pk=member.pk).values_list("pk").first()
    latest = (
        ConsentEvent.objects.filter(member=member, purpose=purpose)
        .order_by("-created_at", "-id")
        .first()
    )
    text = None
    if granted:
        text = _text_current(purpose)
        if text is None:
            label = ConsentPurpose(purpose).label
            raise ValidationError(
                {
                    "purpose": _(
                        "No consent text for “%(purpose)s” is published, so it cannot be "
                        "granted yet. Staff publish one under Consent texts in the admin."
                    )
                    % {"purpose": label}
                },
                code="no_text",
            )
        if latest is not None and latest.granted and latest.text_id == text.pk:
            return latest, False
    elif latest is None or not latest.granted:
        return latest, False
    event = ConsentEvent.objects.create(
        member=member,
        purpose=purpose,
        granted=granted,
        text=text,
        source=source,
        actor=actor,
        ip_address=ip_address or None,
    )
    if granted and purpose in MARKETING_PURPOSES:
        member_activity_run(member=member, activity="consent_given", cause_key=f"consent:{purpose}")
    return event, True


@transaction.atomic
def consent_set_many(
    *,
    member: Member,
    choices: Mapping[str, bool],
    source: str,
    actor: User | None = None,
    ip_address: str | None = None,
) -> list[ConsentEvent]:
    """Several purposes at once (the preference centre's form): all or nothing.
    Returns the events written (empty when nothing changed)."""
    written = []
    for purpose, granted in choices.items():
        event, was_written = _consent_set(
            member=member,
            purpose=purpose,
            granted=bool(granted),
            source=source,
            actor=actor,
            ip_address=ip_address,
        )
        if was_written and event is not None:
            written.append(event)
    return written


@transaction.atomic
def consent_text_publish(
    *, purpose: str, text_sv: str, text_en: str, actor: User | None = None
) -> ConsentText:
    """A new version of the consent text for `purpose` (texts are never edited once written)."""
    errors: dict[str, list] = {}
    if purpose not in ConsentPurpose.values:
        errors["purpose"] = [_("Choose a consent purpose.")]
    if not (text_sv or "").strip():
        errors["text_sv"] = [_("The Swedish text is required.")]
    if not (text_en or "").strip():
        errors["text_en"] = [_("The English text is required.")]
    if errors:
        raise ValidationError(errors)
    # Lock the purpose's texts so two publishers do not both take the same version number.
    list(ConsentText.objects.select_for_update().filter(purpose=purpose).values_list("pk"))
    latest = ConsentText.objects.filter(purpose=purpose).aggregate(v=Max("version"))["v"] or 0
    text = ConsentText.objects.create(
        purpose=purpose, version=latest + 1, text_sv=text_sv.strip(), text_en=text_en.strip()
    )
    audit_log(
        action="consent_text.publish",
        actor=actor,
        target=text,
        details={"purpose": purpose, "version": text.version},
    )
    return text


def member_signup_consents_give(
    *, member: Member, user: User, request=None, purposes: list[str] | tuple[str, ...] = ()
) -> None:
    """At sign-up: record the acceptance of the membership terms and privacy notice (which
    versions: the pages' last change) in the audit log, and grant the marketing consents the new
    member ticked, each with its current text, from the portal (any consent bonus follows)."""
    from core.services import client_ip
    from members.models import ClubPage

    pages = {page.kind: page.updated_at.isoformat() for page in ClubPage.objects.all()}
    with transaction.atomic():
        audit_log(
            action="member.terms_accepted",
            actor=user,
            target=member,
            request=request,
            details={"pages": pages},
        )
        for purpose in purposes:
            if purpose in (ConsentPurpose.EMAIL_MARKETING, ConsentPurpose.SMS_MARKETING):
                consent_set(
                    member=member,
                    purpose=purpose,
                    granted=True,
                    source=ConsentEvent.Source.PORTAL,
                    actor=user,
                    ip_address=client_ip(request) if request is not None else None,
                )
