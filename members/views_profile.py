"""The member's own pages in the portal: the profile and the consent preference centre.

A member only ever reaches their own member (through member_get_self); every change goes through
members.services (profiles, consent) with the portal as the source and the request's address.
"""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from core.services import client_ip
from members.models import ConsentEvent, ConsentPurpose, Interest, Member, Store
from members.selectors.consent import consent_choices
from members.selectors.profiles import member_get_self
from members.services.consent import consent_set
from members.services.profiles import (
    MEMBER_SELF_EDITABLE_FIELDS,
    MemberLinkNeedsVerification,
    member_link_or_create_for_user,
    member_profile_is_complete,
    member_self_update,
)


class ProfileForm(forms.Form):
    """What a member may change about themselves; the service validates and normalises it."""

    first_name = forms.CharField(label=_("First name"), max_length=150, required=False)
    last_name = forms.CharField(label=_("Last name"), max_length=150, required=False)
    phone = forms.CharField(
        label=_("Mobile phone"),
        max_length=32,
        required=False,
        help_text=_("For example 070-123 45 67, or with a country code: +47 412 34 567."),
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
    )
    birth_date = forms.DateField(
        label=_("Birth date"),
        required=False,
        help_text=_("We use it to celebrate your birthday."),
        widget=forms.DateInput(attrs={"type": "date", "autocomplete": "bday"}, format="%Y-%m-%d"),
    )
    postcode = forms.CharField(
        label=_("Postcode"),
        max_length=10,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "postal-code"}),
    )
    city = forms.CharField(
        label=_("City"),
        max_length=80,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "address-level2"}),
    )
    language = forms.ChoiceField(
        label=_("Language"),
        choices=settings.LANGUAGES,
        help_text=_("The language of our pages and messages to you."),
    )
    preferred_store = forms.ModelChoiceField(
        label=_("Your store"),
        queryset=Store.objects.filter(is_active=True),
        required=False,
        empty_label=_("No preference"),
    )
    interests = forms.ModelMultipleChoiceField(
        label=_("Interests"),
        queryset=Interest.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Choose what you would like to hear about."),
    )

    @classmethod
    def initial_for(cls, member: Member) -> dict:
        initial = {name: getattr(member, name) for name in MEMBER_SELF_EDITABLE_FIELDS}
        initial["interests"] = list(member.interests.all())
        initial["phone"] = member.phone
        return initial


def _own_member(request: HttpRequest) -> Member | None:
    """The logged-in user's member, linked or created on the first visit; None (with a message)
    when their e-mail must be confirmed first."""
    member = member_get_self(user=request.user)
    if member is not None:
        return member
    try:
        member_link_or_create_for_user(user=request.user)
    except MemberLinkNeedsVerification as error:
        messages.warning(request, error.messages[0])
        return None
    return member_get_self(user=request.user)


@login_required
@require_http_methods(["GET", "POST"])
def profile(request: HttpRequest) -> HttpResponse:
    """The member's own profile: see and change name, phone, birth date, address, language,
    store and interests."""
    member = _own_member(request)
    if member is None:
        return redirect("account_email")
    if request.method == "POST":
        form = ProfileForm(request.POST)
        if form.is_valid():
            was_complete = member_profile_is_complete(member)
            try:
                member_self_update(
                    member=member, user=request.user, request=request, **form.cleaned_data
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, _("Your profile is saved."))
                if not was_complete and member_profile_is_complete(member):
                    messages.success(
                        request,
                        _("Thank you, %(name)s! Your profile is complete.")
                        % {"name": member.first_name},
                    )
                if form.cleaned_data["language"] != translation.get_language():
                    translation.activate(form.cleaned_data["language"])
                    response = redirect("members:profile")
                    response.set_cookie(
                        settings.LANGUAGE_COOKIE_NAME,
                        form.cleaned_data["language"],
                        max_age=365 * 24 * 3600,
                        secure=settings.LANGUAGE_COOKIE_SECURE,
                        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
                        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
                    )
                    return response
                return redirect("members:profile")
        messages.error(request, _("Please correct the fields marked below."))
    else:
        form = ProfileForm(initial=ProfileForm.initial_for(member))
    return render(request, "members/profiles/profile.html", {"form": form, "member": member})


@login_required
@require_http_methods(["GET", "POST"])
def preferences(request: HttpRequest) -> HttpResponse:
    """The preference centre: each consent purpose with the exact current text and one button
    to grant or withdraw it."""
    member = _own_member(request)
    if member is None:
        return redirect("account_email")
    if request.method == "POST":
        return _preferences_change(request, member)
    language = translation.get_language() or settings.LANGUAGE_CODE
    rows = [
        {"choice": choice, "text": choice.text_for(language)}
        for choice in consent_choices(member=member)
    ]
    return render(request, "members/profiles/preferences.html", {"member": member, "rows": rows})


def _preferences_change(request: HttpRequest, member: Member) -> HttpResponse:
    purpose = request.POST.get("purpose", "")
    granted = request.POST.get("granted", "")
    if purpose not in ConsentPurpose.values or granted not in ("0", "1"):
        messages.error(request, _("That choice is not one we offer."))
        return redirect("members:preferences")
    label = ConsentPurpose(purpose).label
    if granted == "1":
        # Agreement counts for the text the member saw: a newer version must be read first.
        shown = request.POST.get("version", "")
        current = {choice.purpose: choice.text for choice in consent_choices(member=member)}.get(
            purpose
        )
        if current is None or str(current.version) != shown:
            messages.error(
                request,
                _("The text for “%(purpose)s” has changed. Please read it again before agreeing.")
                % {"purpose": label},
            )
            return redirect("members:preferences")
    try:
        consent_set(
            member=member,
            purpose=purpose,
            granted=granted == "1",
            source=ConsentEvent.Source.PORTAL,
            actor=request.user,
            ip_address=client_ip(request),
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("members:preferences")
    if granted == "1":
        messages.success(request, _("Thank you: you agreed to “%(purpose)s”.") % {"purpose": label})
    else:
        messages.success(request, _("You do not consent to “%(purpose)s”.") % {"purpose": label})
    return redirect("members:preferences")
