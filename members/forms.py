from allauth.account.forms import AddEmailForm as AllauthAddEmailForm
from allauth.account.models import EmailAddress
from django import forms
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.utils.translation import gettext_lazy as _

from .models import User, normalize_email


class EmailUniqueMixin:
    def clean_email(self):
        email = normalize_email(self.cleaned_data.get("email"))
        others = User.objects.filter(email=email)
        if self.instance.pk:
            others = others.exclude(pk=self.instance.pk)
        if others.exists():
            raise forms.ValidationError(_("A user with this e-mail address already exists."))
        return email


class UserCreationAdminForm(EmailUniqueMixin, AdminUserCreationForm):
    class Meta:
        model = User
        fields = ("email",)


class UserChangeAdminForm(EmailUniqueMixin, UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"


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
