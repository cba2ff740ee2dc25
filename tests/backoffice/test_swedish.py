"""The back office in Swedish: no English tell-tales on its pages (column headers, groups,
audit actions, the dashboard and the till)."""

from __future__ import annotations

import re

import pytest
from django.conf import settings

from core.services import audit_log
from rewards.services.ledger import points_award
from rewards.services.redemptions import reward_redeem
from tests.members.factories import MemberFactory, PurchaseFactory
from tests.rewards.factories import RewardFactory

pytestmark = pytest.mark.django_db

TELL_TALES = [
    "Member",
    "Members",
    "Reward",
    "Rewards",
    "Cancelled",
    "Periodic",
    "Redemption",
    "Points",
    "Dashboard",
    "Loyalty",
    "Settings",
    "Purchase",
    "Voucher",
    "Till",
]
PAGES = [
    "/admin/",
    "/admin/till/",
    "/admin/members/member/",
    "/admin/members/purchase/",
    "/admin/members/memberscore/",
    "/admin/members/consentevent/",
    "/admin/rewards/pointsaccount/",
    "/admin/rewards/pointsentry/",
    "/admin/rewards/redemption/",
    "/admin/rewards/reward/",
    "/admin/rewards/pointslot/",
    "/admin/rewards/tierchange/",
    "/admin/core/auditlogentry/",
    "/admin/rewards/bulkadjustment/",
    "/admin/members/memberimport/add/",
    "/admin/django_celery_beat/periodictask/",
]


def _visible_text(html: str) -> str:
    html = re.sub(r"(?s)<(script|style)\b.*?</\1>", " ", html)
    html = re.sub(r"(?s)<[^>]+>", " ", html)
    return " ".join(html.split())


@pytest.fixture
def swedish_admin(club_admin):
    club_admin.cookies[settings.LANGUAGE_COOKIE_NAME] = "sv"
    member = MemberFactory(first_name="Åsa", last_name="Öberg")
    PurchaseFactory(member=member)
    points_award(member=member, points=300, reason="Välkomstgåva", idempotency_key="sv-1")
    redemption = reward_redeem(
        member=member, reward=RewardFactory(name_sv="Fika", points_cost=100), idempotency_key="k"
    )
    audit_log(action="redemption.cancel", actor=club_admin.user, target=redemption)
    club_admin.member = member
    club_admin.redemption = redemption
    return club_admin


def test_no_english_tell_tales_in_the_swedish_back_office(swedish_admin):
    member = swedish_admin.member
    pages = [
        *PAGES,
        f"/admin/members/member/{member.pk}/360/",
        f"/admin/rewards/redemption/{swedish_admin.redemption.pk}/change/",
        f"/admin/till/?member={member.pk}",
        "/admin/till/?q=0700",
    ]
    found = {}
    for path in pages:
        response = swedish_admin.get(path)
        assert response.status_code == 200, path
        text = _visible_text(response.content.decode())
        words = [w for w in TELL_TALES if re.search(rf"\b{w}\b", text)]
        if words:
            found[path] = words
    assert found == {}
