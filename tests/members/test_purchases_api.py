"""The purchases API: POST one or a batch with per-row results, GET a filtered list for staff."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group, Permission
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from core.models import AuditLogEntry
from members.models import Purchase
from tests.members.factories import (
    MemberFactory,
    PurchaseFactory,
    PurchaseLineFactory,
    StaffFactory,
    StoreFactory,
    UserFactory,
)

URL = "/api/v1/purchases/"
pytestmark = pytest.mark.django_db


def _client_for(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


@pytest.fixture
def till(db):
    """A till's API user: not staff, allowed only to add purchases."""
    user = UserFactory(email="pos@integrations.example.se")
    user.user_permissions.add(
        Permission.objects.get(content_type__app_label="members", codename="add_purchase")
    )
    return _client_for(user)


@pytest.fixture
def store():
    return StoreFactory(code="uppsala")


@pytest.fixture
def member():
    return MemberFactory(number="41234568", email="eva@example.se")


def _row(**overrides) -> dict:
    row = {
        "member": "41234568",
        "purchased_at": (timezone.now() - datetime.timedelta(hours=3)).isoformat(),
        "amount": "499.00",
        "currency": "SEK",
        "channel": "store",
        "store": "uppsala",
        "source": "pos",
        "external_id": "K-1",
    }
    row.update(overrides)
    return row


def test_one_purchase_as_an_object_is_created(till, member, store):
    # when a till posts one receipt with lines
    response = till.post(
        URL,
        _row(lines=[{"product": "Löparsko", "category": "Skor", "amount": "499.00"}]),
        format="json",
    )

    # then it is stored and the answer says so for row 0
    assert response.status_code == 201, response.data
    purchase = Purchase.objects.get()
    assert response.data["created"] == 1
    assert response.data["results"] == [
        {"index": 0, "status": "created", "id": purchase.pk, "external_id": "K-1"}
    ]
    assert purchase.member == member and purchase.lines.get().product == "Löparsko"


def test_a_batch_stores_the_valid_rows_and_reports_each_bad_one(till, member, store):
    # given a batch with a good row, a bad row and a row for a member found by e-mail
    rows = [
        _row(external_id="K-1"),
        _row(external_id="K-2", amount="0", store="nowhere"),
        _row(external_id="K-3", member="EVA@example.se", channel="online", store=None),
    ]

    response = till.post(URL, rows, format="json")

    # then 207: rows 0 and 2 are stored, row 1 names both of its problems
    assert response.status_code == 207
    assert [r["status"] for r in response.data["results"]] == ["created", "error", "created"]
    bad = response.data["results"][1]
    assert bad["index"] == 1
    assert set(bad["errors"]) == {"amount", "store"}
    assert "nowhere" in bad["errors"]["store"][0]
    assert set(Purchase.objects.values_list("external_id", flat=True)) == {"K-1", "K-3"}
    assert response.data["errors"] == 1 and response.data["created"] == 2


def test_a_batch_sent_again_is_already_recorded(till, member, store):
    till.post(URL, [_row()], format="json")

    response = till.post(URL, [_row()], format="json")

    assert response.status_code == 200
    assert response.data["results"][0]["status"] == "already_recorded"
    assert Purchase.objects.count() == 1


def test_a_return_names_its_original_by_external_id(till, member, store):
    till.post(URL, _row(external_id="K-1"), format="json")

    response = till.post(
        URL, _row(external_id="R-1", amount="-100.00", original_external_id="K-1"), format="json"
    )
    too_much = till.post(
        URL, _row(external_id="R-2", amount="-400.00", original_external_id="K-1"), format="json"
    )
    unknown = till.post(
        URL, _row(external_id="R-3", amount="-1.00", original_external_id="K-404"), format="json"
    )

    assert response.status_code == 201
    assert Purchase.objects.get(external_id="R-1").original.external_id == "K-1"
    assert too_much.status_code == 400 and "amount" in too_much.data["results"][0]["errors"]
    assert "original_external_id" in unknown.data["results"][0]["errors"]


def test_every_row_refused_is_400_and_nothing_is_written(till, member, store):
    response = till.post(URL, [_row(currency="USD"), _row(member="nobody")], format="json")
    assert response.status_code == 400
    assert [list(r["errors"]) for r in response.data["results"]] == [["currency"], ["member"]]
    assert Purchase.objects.count() == 0


def test_more_than_1000_rows_are_refused_naming_the_limit(till, member, store):
    response = till.post(URL, [_row(external_id=f"K-{n}") for n in range(1001)], format="json")
    assert response.status_code == 400
    assert "1000" in str(response.data["detail"]) and "1001" in str(response.data["detail"])
    assert Purchase.objects.count() == 0


@pytest.mark.parametrize("body", ["just text", [], 42])
def test_a_body_that_is_not_purchases_is_refused(till, body):
    response = till.post(URL, body, format="json")
    assert response.status_code == 400 and response.data["detail"]


def test_the_idempotency_key_replays_the_first_answer(till, member, store):
    batch = [_row()]
    first = till.post(URL, batch, format="json", HTTP_IDEMPOTENCY_KEY="batch-1")
    again = till.post(URL, batch, format="json", HTTP_IDEMPOTENCY_KEY="batch-1")

    assert first.status_code == again.status_code == 201
    assert again["Idempotent-Replayed"] == "true"
    assert again.data == first.data
    assert Purchase.objects.count() == 1


def test_the_batch_is_audited_with_its_counts(till, member, store):
    till.post(URL, [_row(), _row(external_id="K-2", amount="x")], format="json")
    entry = AuditLogEntry.objects.get(action="purchases.ingest")
    assert entry.details == {"created": 1, "already_recorded": 0, "error": 1}


# --- Permissions -----------------------------------------------------------------------------


def test_posting_needs_add_purchase(member, store):
    plain = _client_for(UserFactory())
    anonymous = APIClient()

    assert plain.post(URL, _row(), format="json").status_code == 403
    assert anonymous.post(URL, _row(), format="json").status_code in (401, 403)
    assert Purchase.objects.count() == 0


def test_a_member_cannot_list_purchases(member):
    PurchaseFactory(member=member)
    client = _client_for(UserFactory())
    assert client.get(URL).status_code == 403


def test_the_till_may_post_but_not_list(till):
    assert till.get(URL).status_code == 403


@pytest.mark.parametrize("role", ["store staff", "marketer", "club admin"])
def test_staff_roles_with_view_purchase_may_list(role):
    staff = StaffFactory()
    staff.groups.add(Group.objects.get(name=role))
    PurchaseFactory()
    response = _client_for(staff).get(URL)
    assert response.status_code == 200 and response.data["count"] == 1


# --- Listing ---------------------------------------------------------------------------------


@pytest.fixture
def viewer():
    staff = StaffFactory()
    staff.groups.add(Group.objects.get(name="club admin"))
    return _client_for(staff)


def test_the_list_filters_by_member_channel_store_and_dates(viewer):
    now = timezone.now()
    uppsala, umea = StoreFactory(code="uppsala"), StoreFactory(code="umea")
    anna = MemberFactory(number="41234568")
    match = PurchaseFactory(
        member=anna, store=uppsala, channel="store", purchased_at=now - datetime.timedelta(days=3)
    )
    PurchaseFactory(member=anna, store=umea, purchased_at=now - datetime.timedelta(days=3))
    PurchaseFactory(member=anna, store=uppsala, purchased_at=now - datetime.timedelta(days=40))
    PurchaseFactory(store=uppsala, purchased_at=now - datetime.timedelta(days=3))
    PurchaseFactory(member=anna, channel="online", store=None, purchased_at=now)
    start = (now - datetime.timedelta(days=10)).date().isoformat()

    response = viewer.get(
        URL,
        {"member": "41234568", "channel": "store", "store": "uppsala", "date_from": start},
    )

    assert response.status_code == 200
    assert [row["id"] for row in response.data["results"]] == [match.pk]
    row = response.data["results"][0]
    assert row["member"] == "41234568" and row["store"] == "uppsala"


def test_the_list_refuses_an_inverted_date_range(viewer):
    response = viewer.get(URL, {"date_from": "2026-02-01", "date_to": "2026-01-01"})
    assert response.status_code == 400 and "date_to" in response.data


def test_the_list_shows_lines_and_returns(viewer):
    original = PurchaseFactory(amount=Decimal("300"))
    PurchaseLineFactory(purchase=original, product="Jacka", amount=Decimal("300"))
    PurchaseFactory(
        member=original.member, amount=Decimal("-100"), original=original, external_id="R-9"
    )

    rows = {row["external_id"]: row for row in viewer.get(URL).data["results"]}

    assert rows["R-9"]["original_external_id"] == original.external_id
    assert rows[original.external_id]["lines"][0]["product"] == "Jacka"


@pytest.mark.parametrize("count", [3, 30])
def test_the_list_costs_the_same_queries_for_3_or_30_rows(
    viewer, count, django_assert_max_num_queries
):
    for _n in range(count):
        purchase = PurchaseFactory()
        PurchaseLineFactory(purchase=purchase)
    # auth token + user + permissions + count + page + lines
    with django_assert_max_num_queries(8):
        response = viewer.get(URL)
    assert response.status_code == 200 and len(response.data["results"]) == count
