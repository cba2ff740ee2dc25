"""The member 360 page and the timeline registry."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.contrib.auth.models import Group
from django.utils import timezone

from core.services import audit_log
from members.models import MemberScore
from members.selectors.timeline import member_timeline
from members.timeline import TimelineEntry, timeline_provider_register, timeline_provider_unregister
from tests.members.factories import (
    ConsentEventFactory,
    MemberFactory,
    PurchaseFactory,
    PurchaseLineFactory,
    StaffFactory,
)

pytestmark = pytest.mark.django_db


def staff_in(role):
    staff = StaffFactory()
    staff.groups.add(Group.objects.get(name=role))
    TOTP.activate(staff, generate_totp_secret())
    return staff


def url(member):
    return f"/admin/members/member/{member.pk}/360/"


def test_timeline_merges_purchases_returns_consents_and_audit_newest_first():
    # given a purchase, its return, a consent grant and an audit entry at different times
    now = timezone.now()
    member = MemberFactory()
    sale = PurchaseFactory(
        member=member, amount=Decimal("500"), purchased_at=now - datetime.timedelta(days=3)
    )
    PurchaseLineFactory(purchase=sale, product="Tält 2 personer")
    PurchaseFactory(
        member=member,
        amount=Decimal("-100"),
        original=sale,
        purchased_at=now - datetime.timedelta(days=2),
    )
    ConsentEventFactory(member=member, created_at=now - datetime.timedelta(days=1))
    audit_log(action="member.update", target=member)
    PurchaseFactory()  # another member's purchase

    # when the timeline is read
    entries = member_timeline(member=member)

    # then it holds the four, newest first, with links and details
    assert [e.kind for e in entries] == ["audit", "consent", "return", "purchase"]
    assert entries[3].detail == "Tält 2 personer"
    assert entries[3].url == f"/admin/members/purchase/{sale.pk}/change/"
    assert "E-mail marketing" in str(entries[1].title)


def test_other_apps_add_timeline_entries_and_limit_holds():
    member = MemberFactory()
    for days in range(5):
        PurchaseFactory(member=member, purchased_at=timezone.now() - datetime.timedelta(days=days))

    def points(*, member, limit):
        return [TimelineEntry(at=timezone.now(), kind="points", title="100 poäng")]

    timeline_provider_register(points)
    timeline_provider_register(points)  # twice is once
    try:
        entries = member_timeline(member=member, limit=3)
    finally:
        timeline_provider_unregister(points)

    assert len(entries) == 3
    assert entries[0].kind == "points"


def test_the_360_page_costs_the_same_queries_whatever_the_history(client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(staff_in("marketer"))
    counts = {}
    for purchases in (3, 30):
        # given a member with a score, consents and 3 or 30 purchases with lines
        member = MemberFactory(first_name="Astrid", notes="Gillar tält")
        MemberScore.objects.create(
            member=member,
            computed_at=timezone.now(),
            recency_score=5,
            clv_historic=Decimal("9000"),
        )
        ConsentEventFactory(member=member, purpose="email")
        ConsentEventFactory(member=member, purpose="sms")
        for _n in range(purchases):
            PurchaseLineFactory(purchase=PurchaseFactory(member=member))

        # when a marketer opens the 360 page
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url(member))
        counts[purchases] = len(captured)

        # then it shows profile, consents, scores, purchases and the timeline
        assert response.status_code == 200
        assert "Astrid" in response.text and "Gillar tält" in response.text
        assert "R5 F0 M0" in response.text
        assert "Löparsko" in response.text
        assert response.text.count("member360__entry--purchase") == purchases
        assert response.text.count("member360__entry--consent") == 2

    # and the number of queries does not grow with the history: a fixed number for the page,
    # and one per timeline provider (each app registers its own)
    from members.timeline import timeline_providers

    assert counts[3] == counts[30] <= 14 + len(timeline_providers()), counts


def test_the_360_page_needs_view_member(client):
    member = MemberFactory()
    staff = StaffFactory()
    TOTP.activate(staff, generate_totp_secret())
    client.force_login(staff)

    assert client.get(url(member)).status_code == 403
    assert client.get("/admin/members/member/999999/360/").status_code in (403, 404)


def test_the_member_list_links_to_the_360_page(client):
    member = MemberFactory()
    client.force_login(staff_in("marketer"))

    response = client.get("/admin/members/member/")

    assert url(member) in response.text
    assert client.get("/admin/members/member/999999/360/").status_code == 404
