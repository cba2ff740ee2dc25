"""Each staff role sees only the member fields its job needs, in the API and the admin alike:
a matrix of role × endpoint × field."""

from __future__ import annotations

import datetime

import pytest
from django.contrib.auth.models import Group
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from members.selectors.field_access import ALL_FIELDS, BASE_FIELDS
from tests.members.factories import MemberFactory, StaffFactory, StoreFactory

pytestmark = pytest.mark.django_db

CONTACT = {"first_name", "last_name", "email", "phone", "has_login"}
PROFILE = {"language", "preferred_store", "interests", "source", "updated_at"}
PERSONAL = {"birth_date", "postcode", "city"}
NOTES = {"staff_contact", "notes"}

EXPECTED = {
    "moderator": BASE_FIELDS,
    "store staff": BASE_FIELDS | CONTACT | PROFILE,
    "marketer": BASE_FIELDS | CONTACT | PROFILE | PERSONAL,
    "club admin": ALL_FIELDS,
}

# Values only the field itself could show, to look for in the admin's HTML.
SECRETS = {
    "email": "hemlig.adress@example.se",
    "phone": "+46701112233",
    "last_name": "Zyxwvutsson",
    "postcode": "98765",
    "city": "Hemligstad",
    "notes": "Anteckning-4711",
}
SECRET_FIELD_GROUP = {
    "email": CONTACT,
    "phone": CONTACT,
    "last_name": CONTACT,
    "postcode": PERSONAL,
    "city": PERSONAL,
    "notes": NOTES,
}


def _staff(role: str):
    staff = StaffFactory()
    staff.groups.add(Group.objects.get(name=role))
    return staff


def _api(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


@pytest.fixture
def member(db):
    return MemberFactory(
        first_name="Anna",
        birth_date=datetime.date(1980, 5, 17),
        preferred_store=StoreFactory(),
        **SECRETS,
    )


@pytest.mark.parametrize("role", sorted(EXPECTED))
@pytest.mark.parametrize("endpoint", ["list", "detail"])
def test_the_api_gives_each_role_its_fields(role, endpoint, member):
    client = _api(_staff(role))
    if endpoint == "list":
        response = client.get("/api/v1/members/")
        assert response.status_code == 200
        (body,) = response.json()["results"]
    else:
        response = client.get(f"/api/v1/members/{member.number}/")
        assert response.status_code == 200
        body = response.json()

    assert set(body) == EXPECTED[role]
    assert body["display_name"] == "Anna Z."
    text = response.content.decode()
    for field, value in SECRETS.items():
        assert (value in text) == bool(SECRET_FIELD_GROUP[field] & EXPECTED[role]), field


@pytest.mark.parametrize("role", ["store staff", "club admin"])
def test_the_answer_to_a_write_gives_the_role_its_fields(role):
    client = _api(_staff(role))

    response = client.post(
        "/api/v1/members/",
        {"email": "ny@example.se", "birth_date": "1990-01-02", "notes": "x"},
        format="json",
    )

    assert response.status_code == 201, response.json()
    assert set(response.json()) == EXPECTED[role]


@pytest.mark.parametrize("role", ["moderator", "store staff"])
def test_a_role_cannot_find_members_by_what_it_may_not_see(role, member):
    client = _api(_staff(role))

    found = client.get("/api/v1/members/", {"q": member.email}).json()["count"]
    by_number = client.get("/api/v1/members/", {"q": member.number}).json()["count"]

    assert by_number == 1
    assert found == (1 if "email" in EXPECTED[role] else 0)


@pytest.fixture
def staff_admin(client, settings):
    settings.STAFF_MFA_REQUIRED = False

    def login(role):
        client.force_login(_staff(role))
        return client

    return login


@pytest.mark.parametrize("role", sorted(EXPECTED))
@pytest.mark.parametrize("page", ["changelist", "change", "search"])
def test_the_admin_gives_each_role_its_fields(role, page, member, staff_admin):
    client = staff_admin(role)
    url = {
        "changelist": "/admin/members/member/",
        "change": f"/admin/members/member/{member.pk}/change/",
        "search": f"/admin/members/member/?q={SECRETS['email']}",
    }[page]

    response = client.get(url)

    assert response.status_code == 200
    text = response.content.decode()
    shown = {field for field, value in SECRETS.items() if value in text}
    if page == "search":
        # a search by e-mail finds the member only for roles that may see e-mail addresses,
        # and the search box says what it searches
        found = member.number in text
        assert found == ("email" in EXPECTED[role])
        assert ("e-mail or phone" in text) == ("email" in EXPECTED[role])
        return
    if page == "changelist":
        # the list shows e-mail and city at most
        expected = {f for f in ("email", "city") if SECRET_FIELD_GROUP[f] & EXPECTED[role]}
        expected |= {"last_name"} & EXPECTED[role]
    else:
        expected = {f for f in SECRETS if SECRET_FIELD_GROUP[f] & EXPECTED[role]}
    assert shown - {"last_name"} == expected - {"last_name"}
    if "last_name" not in EXPECTED[role]:
        assert SECRETS["last_name"] not in text.replace(member.display_name, "")


@pytest.mark.parametrize(
    ("role", "allowed"),
    [("moderator", False), ("store staff", False), ("marketer", True), ("club admin", True)],
)
def test_the_360_page_is_for_roles_that_see_the_whole_profile(role, allowed, member, staff_admin):
    client = staff_admin(role)

    response = client.get(f"/admin/members/member/{member.pk}/360/")

    assert (response.status_code == 200) == allowed
