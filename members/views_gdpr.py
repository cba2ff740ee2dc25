"""The member's "My data" page: download everything the club holds about them, or delete their
account. A member only ever reaches their own member (member_get_self)."""

from __future__ import annotations

import contextlib

from django import forms
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods, require_POST

from members.models import Member, normalize_email
from members.selectors.profiles import member_get_self
from members.services.gdpr import MemberAlreadyErased, member_erase, member_export_zip


class DeleteAccountForm(forms.Form):
    email = forms.CharField(
        label=_("Type your e-mail address to confirm"),
        max_length=254,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    understood = forms.BooleanField(
        label=_(
            "I understand that my profile, consents and login are deleted for good and that "
            "this cannot be undone."
        )
    )

    def __init__(self, *args, expected_email: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.expected_email = normalize_email(expected_email)

    def clean_email(self) -> str:
        email = normalize_email(self.cleaned_data["email"])
        if not email or email != self.expected_email:
            raise forms.ValidationError(_("This is not the e-mail address you log in with."))
        return email


def _member(request: HttpRequest) -> Member:
    member = member_get_self(user=request.user)
    if member is None or member.status == Member.Status.ERASED:
        raise Http404
    return member


@login_required
@require_http_methods(["GET"])
def my_data(request: HttpRequest) -> HttpResponse:
    member = member_get_self(user=request.user)
    return render(
        request,
        "members/gdpr/my_data.html",
        {
            "member": member,
            "form": DeleteAccountForm(expected_email=request.user.email),
        },
    )


@login_required
@require_POST
def my_data_download(request: HttpRequest) -> HttpResponse:
    member = _member(request)
    data = member_export_zip(member=member, actor=request.user, request=request)
    response = HttpResponse(data, content_type="application/zip")
    stamp = timezone.localdate().isoformat()
    response["Content-Disposition"] = f'attachment; filename="my-data-{stamp}.zip"'
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_http_methods(["GET", "POST"])
def my_data_delete(request: HttpRequest) -> HttpResponse:
    member = _member(request)
    form = DeleteAccountForm(request.POST or None, expected_email=request.user.email)
    if request.method == "POST" and form.is_valid():
        with contextlib.suppress(MemberAlreadyErased):  # erased meanwhile: same outcome
            member_erase(member=member, actor=request.user, request=request)
        logout(request)
        messages.success(
            request,
            _("Your account and personal data have been deleted. Thank you for being a member."),
        )
        return redirect("/")
    return render(request, "members/gdpr/delete_confirm.html", {"member": member, "form": form})
