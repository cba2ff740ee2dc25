"""The signed token in a personal survey link (HMAC with the SECRET_KEY, Django's Signer)."""

from __future__ import annotations

from django.core import signing
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from feedback.models import Invitation

TOKEN_SALT = "feedback.invitation"  # noqa: S105 - a signing namespace, not a secret


def invitation_token(invitation: Invitation) -> str:
    return signing.Signer(salt=TOKEN_SALT).sign(str(invitation.pk))


def invitation_from_token(token: str) -> Invitation:
    """The invitation a link's token names; ValidationError for a forged or broken token."""
    try:
        pk = int(signing.Signer(salt=TOKEN_SALT).unsign(token))
        return Invitation.objects.select_related("survey", "member").get(pk=pk)
    except (signing.BadSignature, ValueError, Invitation.DoesNotExist) as exc:
        raise ValidationError(
            _("This survey link is not valid. Use the link from your invitation."),
            code="bad_token",
        ) from exc


def invitation_url(invitation: Invitation) -> str:
    return reverse("feedback:answer", args=[invitation_token(invitation)])
