"""allauth's "add e-mail address" form for members' logins (ACCOUNT_FORMS["add_email"]), kept
apart from members.forms: allauth imports the sign-up form class from there while its own forms
module loads, so importing allauth's forms in members.forms would be circular."""

from allauth.account.forms import AddEmailForm as AllauthAddEmailForm
from allauth.account.models import EmailAddress
from django import forms
from django.utils.translation import gettext_lazy as _

from .models import User, normalize_email


class AddEmailForm(AllauthAddEmailForm):
    """allauth's "add e-mail address" (ACCOUNT_FORMS["add_email"]), refusing an address that
    another login has verified or logs in with. allauth's enumeration guard would otherwise
    accept it and e-mail its owner a confirmation link they never asked for. The message is the
    same whichever it is, and says nothing about another account."""

    def clean_email(self) -> str:
        email = super().clean_email()
        normalised = normalize_email(email)
        others = EmailAddress.objects.filter(email__iexact=normalised, verified=True).exclude(
            user=self.user
        )
        logins = User.objects.filter(email=normalised).exclude(pk=self.user.pk)
        if others.exists() or logins.exists():
            raise forms.ValidationError(
                _(
                    "This e-mail address cannot be added to your login. If it is yours, sign in "
                    "with it, or ask the club for help."
                ),
                code="email_unavailable",
            )
        return email
