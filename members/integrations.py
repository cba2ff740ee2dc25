"""What members adds to the core registries (issue 11), so core never names members:

- portal links: the membership card and my purchases;
- cards on the member home: the membership card with its barcode and QR code, and a nudge to
  complete the profile while it is incomplete;
- the club's pages (terms, privacy notice) in the back office's Settings group.

`register()` is called once from MembersConfig.ready().
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from core.dashboard import backoffice_model_register
from core.home import home_card_register
from core.navigation import portal_nav_register
from members.models import Member
from members.services.profiles import PROFILE_COMPLETE_FIELDS

FIELD_LABELS = {
    "first_name": _("first name"),
    "last_name": _("last name"),
    "email": _("e-mail address"),
    "phone": _("mobile phone"),
    "birth_date": _("birth date"),
    "postcode": _("postcode"),
}


def membership_card(request: HttpRequest, member: Member) -> dict[str, Any] | None:
    return {"member": member}


def profile_nudge(request: HttpRequest, member: Member) -> dict[str, Any] | None:
    """The fields still missing from the profile, or None (no card) when it is complete."""
    missing = [FIELD_LABELS[name] for name in PROFILE_COMPLETE_FIELDS if not getattr(member, name)]
    if not missing:
        return None
    return {"missing": missing, "total": len(PROFILE_COMPLETE_FIELDS)}


def register() -> None:
    backoffice_model_register(model="members.ClubPage", group="settings")
    portal_nav_register(label=_("My card"), url_name="members:card", order=15)
    portal_nav_register(label=_("My purchases"), url_name="members:purchases", order=45)
    home_card_register(
        key="members.profile_nudge",
        template="members/home/_profile_nudge.html",
        context=profile_nudge,
        order=5,
    )
    home_card_register(
        key="members.card",
        template="members/home/_card.html",
        context=membership_card,
        order=10,
    )
