"""The members API (/api/v1/members/) and the member's own /api/v1/me/."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, Permission
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from core.models import AuditLogEntry
from members.models import ConsentEvent, ConsentPurpose, Member
from members.services.profiles import member_number_is_valid
from tests.members.factories import (
    ConsentTextFactory,
    InterestFactory,
    MemberFactory,
    StaffFactory,
    StoreFactory,
    UserFactory,
)

LIST = "/api/v1/members/"
ME = "/api/v1/me/"


def _detail(number: str) -> str:
    return f"/api/v1/members/{number}/"


def _client_for(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


@pytest.fixture
def store_staff(db):
    staff = StaffFactory()
    staff.groups.add(Group.objects.get(name="store staff"))
    return staff


@pytest.fixture
def marketer(db):
    staff = StaffFactory()
    staff.groups.add(Group.objects.get(name="marketer"))
    return staff


@pytest.fixture
def integration(db):
    """A till's API user: not staff, with exactly the permissions it needs."""
    user = UserFactory(email="pos@integrations.example.se")
    user.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="members",
            codename__in=["view_member", "view_member_contact", "add_member"],
        )
    )
    return user


@pytest.fixture
def texts(db):
    return {purpose: ConsentTextFactory(purpose=purpose) for purpose in ConsentPurpose.values}


# --- Who may use /api/v1/members/ ------------------------------------------------------------


@pytest.mark.django_db
def test_anonymous_clients_are_refused(api_client):
    member = MemberFactory()
    for response in (
        api_client.get(LIST),
        api_client.post(LIST, {"email": "a@example.se"}, format="json"),
        api_client.get(_detail(member.number)),
    ):
        assert response.status_code in (401, 403)
        assert member.email not in response.content.decode()


@pytest.mark.django_db
def test_a_member_token_reaches_no_other_member(texts):
    # given a member with a token, and another member
    me = MemberFactory(user=UserFactory())
    other = MemberFactory()
    client = _client_for(me.user)

    # then the staff API is closed to them, even for their own number
    assert client.get(LIST).status_code == 403
    assert client.get(_detail(other.number)).status_code == 403
    assert client.get(_detail(me.number)).status_code == 403
    response = client.patch(_detail(other.number), {"city": "Hacked"}, format="json")
    assert response.status_code == 403
    other.refresh_from_db()
    assert other.city != "Hacked"


@pytest.mark.django_db
def test_staff_without_the_permission_are_refused(staff_user):
    # given staff in no role (e.g. a moderator-to-be) and a moderator (view only)
    member = MemberFactory()
    moderator = StaffFactory()
    moderator.groups.add(Group.objects.get(name="moderator"))

    assert _client_for(staff_user).get(LIST).status_code == 403
    # the moderator may read but not create or change
    client = _client_for(moderator)
    assert client.get(LIST).status_code == 200
    assert client.post(LIST, {"email": "n@example.se"}, format="json").status_code == 403
    assert client.patch(_detail(member.number), {"city": "X"}, format="json").status_code == 403


@pytest.mark.django_db
def test_an_integration_token_with_the_permissions_lists_and_creates(integration):
    client = _client_for(integration)
    assert client.get(LIST).status_code == 200
    response = client.post(LIST, {"email": "Ny@Example.se", "source": "store"}, format="json")
    assert response.status_code == 201
    assert response.json()["email"] == "ny@example.se"
    # but may not change members (no change_member)
    assert (
        client.patch(_detail(response.json()["number"]), {"city": "X"}, format="json").status_code
        == 403
    )


# --- List and search -------------------------------------------------------------------------


@pytest.mark.django_db
def test_list_searches_filters_orders_and_paginates(marketer):
    # given members in two stores
    north, south = StoreFactory(code="norr"), StoreFactory(code="soder")
    kim = MemberFactory(
        first_name="Kim", last_name="Berg", phone="+46701234567", preferred_store=north
    )
    MemberFactory(first_name="Kim", last_name="Ek", preferred_store=south, status="paused")
    MemberFactory(first_name="Alva", last_name="Berg", preferred_store=south, source="import")
    client = _client_for(marketer)

    def numbers(**params) -> list[str]:
        response = client.get(LIST, params)
        assert response.status_code == 200, response.json()
        return [row["number"] for row in response.json()["results"]]

    # then search covers names, e-mail, number and any spelling of the phone
    assert numbers(q="kim berg") == [kim.number]
    assert numbers(q="070-123 45 67") == [kim.number]
    assert numbers(q=kim.number) == [kim.number]
    assert numbers(q=kim.email.upper()) == [kim.number]
    assert len(numbers(q="berg")) == 2
    # filters and ordering
    assert len(numbers(status="paused")) == 1
    assert numbers(store="norr") == [kim.number]
    assert len(numbers(source="import")) == 1
    assert numbers(ordering="name")[0] == kim.number or numbers(ordering="name")[1] == kim.number
    # pagination
    body = client.get(LIST, {"page_size": 2}).json()
    assert body["count"] == 3 and len(body["results"]) == 2 and body["next"]
    # bad filters are a 400 that says which
    assert "status" in client.get(LIST, {"status": "bogus"}).json()


@pytest.mark.django_db
def test_list_query_count_does_not_grow_with_rows(marketer, django_assert_max_num_queries):
    client = _client_for(marketer)
    interests = InterestFactory.create_batch(2)

    def page_queries(n: int) -> int:
        for member in MemberFactory.create_batch(n, preferred_store=StoreFactory()):
            member.interests.set(interests)
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as captured:
            assert client.get(LIST, {"q": "example"}).status_code == 200
        return len(captured)

    assert page_queries(3) == page_queries(27)


# --- Create and update -----------------------------------------------------------------------


@pytest.mark.django_db
def test_create_validates_with_field_messages_and_writes_nothing(store_staff):
    MemberFactory(email="kim@example.se")
    client = _client_for(store_staff)

    response = client.post(
        LIST,
        {
            "email": "ＫＩＭ@example.se",
            "phone": "12345",
            "birth_date": "2999-01-01",
            "preferred_store": "no-such-store",
            "interests": ["nope"],
        },
        format="json",
    )

    assert response.status_code == 400
    body = response.json()
    assert set(body) == {"preferred_store", "interests"}  # the serializer's checks come first
    response = client.post(
        LIST,
        {"email": "ＫＩＭ@example.se", "phone": "12345", "birth_date": "2999-01-01"},
        format="json",
    )
    assert response.status_code == 400
    body = response.json()
    assert set(body) == {"email", "phone", "birth_date"}
    assert "already has the e-mail" in body["email"][0]
    assert Member.objects.count() == 1


@pytest.mark.django_db
def test_create_and_patch_by_number(store_staff):
    client = _client_for(store_staff)
    store = StoreFactory(code="norr")
    interest = InterestFactory(slug="running")

    # when staff create a member with a store and an interest
    response = client.post(
        LIST,
        {
            "first_name": "Kim",
            "email": "kim@example.se",
            "phone": "0701234567",
            "preferred_store": "norr",
            "interests": ["running"],
        },
        format="json",
    )

    # then it is stored through the service with a valid number, joined through the API
    assert response.status_code == 201, response.json()
    body = response.json()
    assert member_number_is_valid(body["number"])
    assert (body["phone"], body["source"], body["preferred_store"], body["interests"]) == (
        "+46701234567",
        "api",
        "norr",
        ["running"],
    )
    member = Member.objects.get(number=body["number"])
    assert member.preferred_store == store and list(member.interests.all()) == [interest]

    # when they patch the notes and status
    response = client.patch(
        _detail(member.number), {"notes": "VIP", "status": "paused"}, format="json"
    )
    assert response.status_code == 200
    # store staff may write a note at the till, but the answer (their view) leaves notes out
    assert response.json()["status"] == "paused" and "notes" not in response.json()
    member.refresh_from_db()
    assert member.notes == "VIP"
    entry = AuditLogEntry.objects.get(action="member.update")
    assert entry.details == {"fields": ["notes", "status"]}

    # and a number that does not exist is a 404; fields that cannot be set are refused
    assert client.get(_detail("00000000")).status_code == 404
    response = client.patch(_detail(member.number), {"number": "1"}, format="json")
    assert response.status_code == 400 and "number" in response.json()
    response = client.patch(_detail(member.number), {"status": "erased"}, format="json")
    assert response.status_code == 400 and "status" in response.json()


@pytest.mark.django_db
def test_post_with_an_idempotency_key_creates_once(store_staff):
    client = _client_for(store_staff)
    payload = {"email": "once@example.se", "first_name": "Once"}

    first = client.post(LIST, payload, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    again = client.post(LIST, payload, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    other_body = client.post(
        LIST, {"email": "twice@example.se"}, format="json", HTTP_IDEMPOTENCY_KEY="k-1"
    )

    assert first.status_code == again.status_code == 201
    assert again["Idempotent-Replayed"] == "true"
    assert again.json()["number"] == first.json()["number"]
    assert other_body.status_code == 422
    assert Member.objects.count() == 1


@pytest.mark.django_db
def test_a_refused_post_with_a_key_can_be_retried_corrected(store_staff):
    client = _client_for(store_staff)
    bad = client.post(LIST, {"phone": "1"}, format="json", HTTP_IDEMPOTENCY_KEY="k-2")
    assert bad.status_code == 400
    good = client.post(LIST, {"phone": "0701234567"}, format="json", HTTP_IDEMPOTENCY_KEY="k-3")
    assert good.status_code == 201


# --- /api/v1/me/ -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_me_shows_my_member_profile_and_consents_and_nobody_elses(texts):
    me = MemberFactory(user=UserFactory(), first_name="Kim", notes="staff only")
    other = MemberFactory(first_name="Zlatan")
    ConsentEvent.objects.create(
        member=me, purpose="sms", granted=True, text=texts["sms"], source="store"
    )
    ConsentEvent.objects.create(
        member=other, purpose="email", granted=True, text=texts["email"], source="store"
    )

    response = _client_for(me.user).get(ME)

    assert response.status_code == 200
    body = response.json()
    assert body["id"] == me.user.pk
    assert body["member"]["number"] == me.number
    assert body["member"]["consents"] == {
        "email": False,
        "sms": True,
        "profiling": False,
        "ad_matching": False,
    }
    assert "notes" not in body["member"]
    assert other.number not in response.content.decode()


@pytest.mark.django_db
def test_me_without_a_member_shows_null():
    staff = StaffFactory()
    body = _client_for(staff).get(ME).json()
    assert body["member"] is None and body["email"] == staff.email


@pytest.mark.django_db
def test_me_patch_changes_my_editable_fields_and_consents(texts):
    me = MemberFactory(user=UserFactory(), city="Lund")
    client = _client_for(me.user)

    response = client.patch(
        ME,
        {"city": "Malmö", "phone": "0731234567", "consents": {"email": True}},
        format="json",
        REMOTE_ADDR="198.51.100.4",
    )

    assert response.status_code == 200, response.json()
    assert response.json()["member"]["city"] == "Malmö"
    assert response.json()["member"]["consents"]["email"] is True
    event = ConsentEvent.objects.get(member=me)
    assert (event.source, event.ip_address, event.actor) == ("api", "198.51.100.4", me.user)


@pytest.mark.django_db
def test_me_patch_refuses_what_a_member_may_not_change_and_writes_nothing(texts):
    me = MemberFactory(user=UserFactory(), city="Lund")
    other = MemberFactory()
    client = _client_for(me.user)

    # fields that are not mine to set, and someone else's number
    for payload in (
        {"notes": "VIP", "city": "X"},
        {"status": "paused"},
        {"email": "x@example.se"},
        {"number": other.number, "city": "X"},
        {"consents": {"telepathy": True}, "city": "X"},
    ):
        response = client.patch(ME, payload, format="json")
        assert response.status_code == 400, payload

    # a bad value in one field stops the others and the consents too
    ConsentEvent.objects.all().delete()
    response = client.patch(
        ME, {"city": "X", "birth_date": "2999-01-01", "consents": {"email": True}}, format="json"
    )
    assert response.status_code == 400
    assert "birth_date" in response.json()
    me.refresh_from_db()
    other.refresh_from_db()
    assert me.city == "Lund" and me.notes == "" and other.city != "X"
    assert not ConsentEvent.objects.exists()


@pytest.mark.django_db
def test_me_patch_honours_the_idempotency_key(texts):
    me = MemberFactory(user=UserFactory())
    client = _client_for(me.user)
    first = client.patch(ME, {"city": "Umeå"}, format="json", HTTP_IDEMPOTENCY_KEY="me-1")
    again = client.patch(ME, {"city": "Umeå"}, format="json", HTTP_IDEMPOTENCY_KEY="me-1")
    assert first.status_code == again.status_code == 200
    assert again["Idempotent-Replayed"] == "true"
    assert AuditLogEntry.objects.filter(action="member.update").count() == 1


@pytest.mark.django_db
def test_the_schema_describes_the_members_api(client):
    paths = client.get("/api/schema/", {"format": "json"}).json()["paths"]
    assert {"get", "post"} <= set(paths["/api/v1/members/"])
    assert {"get", "patch"} <= set(paths["/api/v1/members/{number}/"])
    assert "patch" in paths["/api/v1/me/"]
