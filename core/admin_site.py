"""The club's admin site: titled with the club's name; staff without MFA are sent to set it up."""

from __future__ import annotations

from django.conf import settings
from django.contrib import admin, messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy


def user_has_mfa(user) -> bool:
    from allauth.mfa.models import Authenticator

    return Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()


def staff_mfa_missing(request: HttpRequest) -> bool:
    """True when the setting requires MFA of staff and this staff user has none yet."""
    user = request.user
    return bool(
        settings.STAFF_MFA_REQUIRED
        and user.is_authenticated
        and user.is_active
        and user.is_staff
        and not user_has_mfa(user)
    )


class LojalAdminSite(admin.AdminSite):
    site_header = gettext_lazy("%(club)s administration") % {"club": settings.CLUB_NAME}
    site_title = settings.CLUB_NAME
    index_title = gettext_lazy("Club administration")
    site_url = "/"

    def admin_view(self, view, cacheable=False):
        inner = super().admin_view(view, cacheable)

        def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if staff_mfa_missing(request):
                messages.warning(
                    request,
                    _("Staff must turn on two-factor authentication before using the admin."),
                )
                return redirect("mfa_activate_totp")
            return inner(request, *args, **kwargs)

        wrapper.admin_site = self  # type: ignore[attr-defined]
        return wrapper
