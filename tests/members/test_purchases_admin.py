"""Admin for purchases and member scores: read-only lists with filters, search and lines."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone

from members.models import MemberScore
from tests.members.factories import (
    MemberFactory,
    PurchaseFactory,
    PurchaseLineFactory,
    StaffFactory,
    StoreFactory,
)

CHANGELIST = "/admin/members/purchase/"
pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, settings):
    settings.STAFF_MFA_REQUIRED = False
    client.force_login(StaffFactory(is_superuser=True))
    return client


def test_the_list_searches_by_member_number_and_external_id(admin_client):
    anna = MemberFactory(number="41234568")
    PurchaseFactory(member=anna, external_id="K-anna")
    PurchaseFactory(external_id="K-other")

    by_number = admin_client.get(CHANGELIST, {"q": "41234568"})
    by_receipt = admin_client.get(CHANGELIST, {"q": "K-other"})

    assert "K-anna" in by_number.text and "K-other" not in by_number.text
    assert "K-other" in by_receipt.text and "K-anna" not in by_receipt.text


def test_the_list_filters_by_channel_and_store(admin_client):
    uppsala = StoreFactory(code="uppsala")
    PurchaseFactory(store=uppsala, channel="store", external_id="K-in-store")
    PurchaseFactory(store=None, channel="online", external_id="K-online")

    response = admin_client.get(
        CHANGELIST, {"channel__exact": "store", "store__id__exact": uppsala.pk}
    )

    assert response.status_code == 200
    assert "K-in-store" in response.text and "K-online" not in response.text


@pytest.mark.parametrize("count", [3, 30])
def test_the_list_costs_the_same_queries_for_3_or_30_rows(
    admin_client, count, django_assert_max_num_queries
):
    for _n in range(count):
        PurchaseFactory()
    with django_assert_max_num_queries(14):
        response = admin_client.get(CHANGELIST)
    assert response.status_code == 200


def test_a_purchase_shows_its_lines_and_returns_and_cannot_be_changed(admin_client):
    original = PurchaseFactory(amount=Decimal("300"))
    PurchaseLineFactory(purchase=original, product="Vandringsjacka", amount=Decimal("300"))
    PurchaseFactory(
        member=original.member, amount=Decimal("-100"), original=original, external_id="R-jacka"
    )

    page = admin_client.get(f"{CHANGELIST}{original.pk}/change/")

    assert page.status_code == 200
    assert "Vandringsjacka" in page.text and "R-jacka" in page.text
    assert 'name="_save"' not in page.text
    assert admin_client.get(f"{CHANGELIST}add/").status_code == 403
    assert (
        admin_client.post(f"{CHANGELIST}{original.pk}/delete/", {"post": "yes"}).status_code == 403
    )


def test_store_staff_see_purchases(client, settings):
    settings.STAFF_MFA_REQUIRED = False
    staff = StaffFactory()
    staff.groups.add(Group.objects.get(name="store staff"))
    client.force_login(staff)
    PurchaseFactory(external_id="K-seen")
    assert "K-seen" in client.get(CHANGELIST).text


def test_scores_are_listed_read_only(admin_client):
    member = MemberFactory(number="41234568")
    MemberScore.objects.create(member=member, computed_at=timezone.now(), recency_score=5)

    listing = admin_client.get("/admin/members/memberscore/")
    detail = admin_client.get(f"/admin/members/memberscore/{member.pk}/change/")

    assert "41234568" in listing.text
    assert detail.status_code == 200 and 'name="_save"' not in detail.text
