"""Hardening (issue 10, items 7 and 11): names hold no invisible or control characters, CSV
exports never start a cell with a formula, and no member is made empty or behind a login's back.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from core.validators import text_one_line
from members.csvutil import csv_safe
from members.models import Member
from members.services.profiles import member_create
from tests.members.factories import MemberFactory, StaffFactory, UserFactory

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]

BAD_NAMES = [
    "Eva\u202egnalP",  # right-to-left override
    "Ev\u200ba",  # zero-width space
    "Eva\u2066x\u2069",  # bidi isolates
    "Eva\x07",  # bell
    "Eva\x00",  # NUL
    "Eva\u2028Ek",  # line separator
    "\ufeffEva",  # byte-order mark
]


def _client_for(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


@pytest.fixture
def store_staff():
    staff = StaffFactory()
    staff.groups.add(Group.objects.get(name="store staff"))
    return staff


# --- 7. Names and CSV ------------------------------------------------------------------------


@pytest.mark.parametrize("name", BAD_NAMES)
def test_the_shared_validator_refuses_invisible_and_control_characters(name):
    with pytest.raises(ValidationError) as error:
        text_one_line(name)
    assert error.value.code == "bad_character"


@pytest.mark.parametrize("name", ["Åsa Öberg-Ek", "José María", "Søren", "李小龍", "Zoë 🙂"])
def test_the_shared_validator_accepts_real_names(name):
    text_one_line(name)


@pytest.mark.parametrize("name", [n for n in BAD_NAMES if "\u2028" not in n])
def test_member_services_refuse_bad_names(name):
    # (a line separator is whitespace: the services fold it into a plain space)
    with pytest.raises(ValidationError) as error:
        member_create(source="store", first_name=name, email="eva@example.se")
    assert "invisible or control character" in error.value.message_dict["first_name"][0]
    assert not Member.objects.exists()


@pytest.mark.parametrize("field", ["first_name", "last_name", "city"])
def test_the_member_api_refuses_a_bidi_override_in_one_line_fields(store_staff, field):
    member = MemberFactory()

    response = _client_for(store_staff).patch(
        f"/api/v1/members/{member.number}/", {field: "Ev\u202ea"}, format="json"
    )

    assert response.status_code == 400
    assert "U+202E" in response.json()[field][0]


def test_the_portal_profile_refuses_a_zero_width_name(client):
    user = UserFactory()
    member = MemberFactory(user=user, email=user.email, first_name="Eva")
    client.force_login(user)

    response = client.post("/profile/", {"first_name": "E\u200bva", "language": "sv"})

    assert response.status_code == 200
    assert "U+200B" in response.content.decode()
    member.refresh_from_db()
    assert member.first_name == "Eva"


@pytest.mark.parametrize("cell", ["=1+1", "+46", "-2+3", "@SUM(A1)", "\t=1", "  =HYPERLINK()"])
def test_csv_cells_that_a_spreadsheet_would_run_are_text(cell):
    assert csv_safe(cell) == "'" + cell


def test_every_csv_export_goes_through_the_one_helper():
    """Only members/csvutil.py may make a csv writer: every export uses its csv_safe."""
    writers = re.compile(r"csv\.(writer|DictWriter)\(")
    packages = [
        folder
        for folder in ROOT.iterdir()
        if folder.is_dir() and (folder / "__init__.py").exists() and folder.name != "tests"
    ]
    offenders = [
        str(path.relative_to(ROOT))
        for package in packages
        for path in package.rglob("*.py")
        if path != ROOT / "members" / "csvutil.py"
        and writers.search(path.read_text(encoding="utf-8"))
    ]
    assert len(packages) > 3
    assert offenders == []


# --- 11. No member made empty or behind a login's back ---------------------------------------


def test_patch_me_by_a_staff_login_does_not_create_a_member():
    staff = StaffFactory()

    response = _client_for(staff).patch("/api/v1/me/", {"first_name": "Ola"}, format="json")

    assert response.status_code == 400
    assert "staff login has no member profile" in response.json()["non_field_errors"][0]
    assert not Member.objects.filter(user=staff).exists()


def test_patch_me_by_a_staff_login_with_a_member_updates_it():
    staff = StaffFactory()
    member = MemberFactory(user=staff, email=staff.email)

    response = _client_for(staff).patch("/api/v1/me/", {"first_name": "Ola"}, format="json")

    assert response.status_code == 200
    member.refresh_from_db()
    assert member.first_name == "Ola"


def test_post_members_with_nothing_is_refused(store_staff):
    response = _client_for(store_staff).post("/api/v1/members/", {}, format="json")

    assert response.status_code == 400
    assert response.json()["non_field_errors"] == [
        "A member needs at least a name, an e-mail address or a phone number."
    ]
    assert not Member.objects.exists()


def test_post_members_with_a_phone_only_is_accepted(store_staff):
    response = _client_for(store_staff).post(
        "/api/v1/members/", {"phone": "070-123 45 67"}, format="json"
    )

    assert response.status_code == 201
