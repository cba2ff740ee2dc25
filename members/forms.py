from django import forms
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.utils.translation import gettext_lazy as _

from .models import User, normalize_email

# The consents ticked at sign-up, kept from the form to the receiver that creates the member.
SIGNUP_CONSENTS_SESSION_KEY = "members_signup_consents"


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


class SignupExtraForm(forms.Form):
    """What sign-up asks besides e-mail and password (allauth's ACCOUNT_SIGNUP_FORM_CLASS): the
    first name to greet by, the marketing consents (unticked, each with the exact current text),
    and agreement to the membership terms and the privacy notice. The consents are given to
    the member once the sign-up has created it (members.receivers)."""

    first_name = forms.CharField(
        label=_("First name"),
        max_length=150,
        required=False,
        help_text=_("So we can greet you by name."),
        widget=forms.TextInput(attrs={"autocomplete": "given-name"}),
    )
    consent_email = forms.BooleanField(label=_("E-mail marketing"), required=False)
    consent_sms = forms.BooleanField(label=_("SMS marketing"), required=False)
    accept_terms = forms.BooleanField(
        label=_("I accept the membership terms and have read the privacy notice."),
        error_messages={
            "required": _("Please accept the membership terms to join the club."),
        },
    )

    CONSENT_FIELDS = {"consent_email": "email", "consent_sms": "sms"}

    def consent_rows(self) -> list[dict]:
        """Each consent field with its current text (in the page's language) and its bonus."""
        from django.utils import timezone, translation

        from members.hooks import activity_points_preview
        from members.models import ConsentText

        language = translation.get_language() or "sv"
        bonus = activity_points_preview(activity="consent_given")
        rows = []
        for name, purpose in self.CONSENT_FIELDS.items():
            text = (
                ConsentText.objects.filter(purpose=purpose, published_at__lte=timezone.now())
                .order_by("-version")
                .first()
            )
            if text is None:
                continue
            rows.append(
                {
                    "field": self[name],
                    "text": text.text_en if language.startswith("en") else text.text_sv,
                    "version": text.version,
                    "bonus": bonus,
                }
            )
        return rows

    def signup(self, request, user) -> None:
        """Called by allauth before the user is saved for the last time: keep the first name,
        and the chosen consents for the receiver that creates the member."""
        if self.cleaned_data.get("first_name"):
            user.first_name = self.cleaned_data["first_name"].strip()
            user.save(update_fields=["first_name"])
        granted = [
            purpose for name, purpose in self.CONSENT_FIELDS.items() if self.cleaned_data.get(name)
        ]
        if hasattr(request, "session"):
            request.session[SIGNUP_CONSENTS_SESSION_KEY] = granted
