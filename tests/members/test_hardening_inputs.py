"""Hardening (issue 10, items 1, 3 and 4): no input reaches a 500.

- Dates outside the sane window (settings.LOJAL_DATE_MIN_YEAR, LOJAL_DATE_MAX_FUTURE_DAYS) are
  refused with a message at every entry point: purchase API, CSV import, profile (API, portal),
  the purchase list's filters.
- A purchase batch that fails unexpectedly on a later row stores nothing.
- Deeply nested JSON, NUL characters in bodies, forms and URLs, non-string currency/channel,
  non-list lines, a CSV upload with a NUL byte after the first 4 KB: each a 400 with a message.
"""

from __future__ import annotations

import datetime
import json

import pytest
from django.contrib.auth.models import Permission
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from core.validators import date_in_window
from members import hooks
from members.models import Member, MemberImport, Purchase
from members.services.imports import member_import_upload
from tests.members.factories import MemberFactory, StaffFactory, StoreFactory, UserFactory

pytestmark = pytest.mark.django_db
PURCHASES = "/api/v1/purchases/"
YEAR_ONE = "0001-01-01T00:00:00+14:00"


def _client_for(user) -> APIClient:
    client = APIClient(raise_request_exception=False)
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


def _with_perms(*codenames):
    user = UserFactory()
    for codename in codenames:
        user.user_permissions.add(
            Permission.objects.get(content_type__app_label="members", codename=codename)
        )
    return _client_for(user)


@pytest.fixture
def till():
    return _with_perms("add_purchase")


@pytest.fixture
def member():
    StoreFactory(code="uppsala")
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


def _post(client, body, **extra):
    return client.post(PURCHASES, json.dumps(body), content_type="application/json", **extra)


# --- 1. Dates --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        YEAR_ONE,
        "0001-01-01T00:00:00",
        "1899-12-31T23:59:59+01:00",
        "9999-12-31T23:59:59-14:00",
    ],
)
def test_the_purchase_api_refuses_dates_outside_the_window(till, member, value):
    response = _post(till, [_row(purchased_at=value)])

    assert response.status_code == 400
    errors = response.json()["results"][0]["errors"]["purchased_at"]
    assert errors[0].startswith("The date must be between 1900-01-01 and ")
    assert not Purchase.objects.exists()


def test_a_birth_date_is_also_held_to_the_clubs_window(settings):
    settings.LOJAL_DATE_MIN_YEAR = 1950
    client = _with_perms("change_member", "view_member")
    MemberFactory(number="41234568")

    response = client.patch(
        "/api/v1/members/41234568/", {"birth_date": "1930-05-01"}, format="json"
    )

    assert response.status_code == 400
    assert "The date must be between 1950-01-01" in response.json()["birth_date"][0]


def test_the_date_window_comes_from_the_settings(settings):
    settings.LOJAL_DATE_MIN_YEAR = 2000
    settings.LOJAL_DATE_MAX_FUTURE_DAYS = 0
    date_in_window(datetime.date(2000, 1, 1))
    with pytest.raises(Exception, match="between 2000-01-01"):
        date_in_window(datetime.date(1999, 12, 31))
    with pytest.raises(Exception, match="between 2000-01-01"):
        date_in_window(timezone.localdate() + datetime.timedelta(days=1))


def test_the_csv_import_refuses_a_year_one_purchase(member):
    text = (
        "member,purchased_at,amount,currency,channel,store,source,external_id\n"
        f"41234568,{YEAR_ONE},10,SEK,store,uppsala,pos,r-1\n"
    )
    member_import = member_import_upload(
        kind="purchases", filename="p.csv", data=text.encode(), actor=StaffFactory()
    )
    assert [(e["line"], e["field"]) for e in member_import.errors] == [(2, "purchased_at")]
    assert "The date must be between" in member_import.errors[0]["message"]


def test_the_member_api_refuses_a_year_one_birth_date(member):
    client = _with_perms("change_member", "view_member")

    response = client.patch(
        "/api/v1/members/41234568/", {"birth_date": "0001-01-01"}, format="json"
    )

    assert response.status_code == 400
    assert "before 1900" in response.json()["birth_date"][0]


def test_the_portal_profile_refuses_a_year_one_birth_date(client):
    user = UserFactory()
    member = MemberFactory(user=user, email=user.email)
    client.force_login(user)

    response = client.post(
        "/profile/",
        {"first_name": "Eva", "birth_date": "0001-01-01", "language": "sv"},
    )

    assert response.status_code == 200
    assert "The birth date cannot be before 1900." in response.content.decode()
    member.refresh_from_db()
    assert member.birth_date is None


def test_the_purchase_list_refuses_filter_dates_outside_the_window():
    client = _with_perms("view_purchase")

    response = client.get(PURCHASES, {"date_to": "9999-12-31"})

    assert response.status_code == 400
    assert "The date must be between" in response.json()["date_to"][0]


# --- 3. Batches ------------------------------------------------------------------------------


def test_a_batch_failing_unexpectedly_on_a_later_row_stores_nothing(till, member, monkeypatch):
    seen = []

    def fails_on_the_third(*, purchase):
        seen.append(purchase)
        if len(seen) == 3:
            raise RuntimeError("the points service fell over")

    monkeypatch.setattr(hooks, "_purchase_recorded", [fails_on_the_third])
    rows = [_row(external_id=f"K-{i}") for i in range(5)]

    response = _post(till, rows)

    assert response.status_code == 500
    assert len(seen) == 3
    assert not Purchase.objects.exists()


def test_a_batch_failing_with_an_idempotency_key_stores_nothing_and_may_be_retried(
    till, member, monkeypatch
):
    def fails(*, purchase):
        raise RuntimeError("down")

    monkeypatch.setattr(hooks, "_purchase_recorded", [fails])
    rows = [_row(external_id=f"K-{i}") for i in range(3)]

    assert _post(till, rows, HTTP_IDEMPOTENCY_KEY="batch-1").status_code == 500
    monkeypatch.setattr(hooks, "_purchase_recorded", [])
    retry = _post(till, rows, HTTP_IDEMPOTENCY_KEY="batch-1")

    assert retry.status_code == 201
    assert Purchase.objects.count() == 3


# --- 4. Inputs that reached a 500 ------------------------------------------------------------


def test_deeply_nested_json_is_refused_on_any_json_endpoint(till, member):
    body = "[" * 100_000 + "]" * 100_000
    for client, path in ((till, PURCHASES), (_with_perms("add_member"), "/api/v1/members/")):
        response = client.post(path, body, content_type="application/json")
        assert response.status_code == 400, path
        assert "nested" in response.json()["detail"]


def test_json_nested_within_the_limit_is_parsed(till, member, settings):
    settings.LOJAL_JSON_MAX_DEPTH = 4
    assert _post(till, [_row(lines=[{"product": "Sko", "amount": "499.00"}])]).status_code == 201
    deeper = [_row(external_id="K-2", lines=[{"product": {"a": ["Sko"]}, "amount": "1"}])]
    assert _post(till, deeper).status_code == 400


@pytest.mark.parametrize(
    "field", ["member", "source", "external_id", "store", "currency", "channel"]
)
def test_nul_in_any_purchase_field_is_refused(till, member, field):
    response = _post(till, [_row(**{field: "a\x00b"})])

    assert response.status_code == 400
    assert "NUL" in response.json()["detail"]


def test_nul_in_a_line_product_or_a_member_field_is_refused(till, member):
    line = [_row(lines=[{"product": "S\x00ko", "amount": "499.00"}])]
    assert _post(till, line).status_code == 400
    client = _with_perms("add_member", "view_member")
    response = client.post(
        "/api/v1/members/",
        json.dumps({"first_name": "Eva", "email": "x@example.se", "preferred_store": "up\x00"}),
        content_type="application/json",
    )
    assert response.status_code == 400


def test_nul_in_a_form_body_is_refused(member):
    client = _with_perms("add_member", "view_member")

    response = client.post(
        "/api/v1/members/", {"first_name": "Eva", "preferred_store": "up\x00psala"}
    )

    assert response.status_code == 400
    assert "NUL" in response.json()["detail"]


def test_nul_in_the_url_path_or_query_is_refused(member):
    client = _with_perms("view_member", "view_purchase")

    path = client.get("/api/v1/members/%00/")
    query = client.get(PURCHASES, {"member": "4\x001"})
    page = client.get("/%00/")

    assert path.status_code == 400 and "NUL" in path.json()["detail"]
    assert query.status_code == 400
    assert page.status_code == 400


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("currency", 7),
        ("currency", ["SEK"]),
        ("channel", {"x": 1}),
        ("channel", 1.5),
        ("member", ["41234568"]),
        ("store", {"code": "uppsala"}),
        ("external_id", ["K-1"]),
        ("source", True),
    ],
)
def test_non_string_values_are_refused_per_field(till, member, field, value):
    response = _post(till, [_row(**{field: value})])

    assert response.status_code == 400
    assert field in response.json()["results"][0]["errors"]


@pytest.mark.parametrize("lines", [5, "Sko", {"product": "Sko"}, True])
def test_lines_that_are_not_a_list_are_refused(till, member, lines):
    response = _post(till, [_row(lines=lines)])

    assert response.status_code == 400
    assert response.json()["results"][0]["errors"]["lines"] == ["The lines must be a list."]


def test_a_control_character_in_a_purchase_field_is_refused(till, member):
    response = _post(till, [_row(external_id="K\u202e1")])

    assert response.status_code == 400
    assert "U+202E" in response.json()["results"][0]["errors"]["external_id"][0]


def test_a_csv_upload_with_a_nul_byte_after_the_first_4_kb_is_refused():
    header = "first_name,last_name,email\n"
    rows = "".join(f"Eva,Ek,eva{i}@example.se\n" for i in range(200))
    data = (header + rows).encode() + b"Bo\x00,Ek,bo@example.se\n"
    assert data.index(b"\x00") > 4096

    member_import = member_import_upload(
        kind="members", filename="m.csv", data=data, actor=StaffFactory()
    )

    assert member_import.status == MemberImport.Status.FAILED
    assert "binary" in member_import.errors[0]["message"]
    assert not Member.objects.exists()
