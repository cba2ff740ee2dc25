"""Admin for members, stores, interests, consent texts and the consent log."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.models import AuditLogEntry
from members.models import ConsentEvent, ConsentPurpose, ConsentText, Member
from members.services.profiles import member_number_is_valid
from tests.members.factories import (
    ConsentEventFactory,
    ConsentTextFactory,
    InterestFactory,
    MemberFactory,
    StaffFactory,
    StoreFactory,
)

CHANGELIST = "/admin/members/member/"
ADD = "/admin/members/member/add/"


@pytest.fixture
def admin_client(client, settings, db):
    # The MFA gate is tested with the accounts; here it would only add a TOTP dance.
    settings.STAFF_MFA_REQUIRED = False
    client.force_login(StaffFactory(is_superuser=True))
    return client


def _member_form(**overrides) -> dict:
    data = {
        "first_name": "Kim",
        "last_name": "Berg",
        "email": "",
        "phone": "",
        "birth_date": "",
        "postcode": "",
        "city": "",
        "language": "sv",
        "preferred_store": "",
        "source": "store",
        "staff_contact": "",
        "notes": "",
        "_save": "Save",
    }
    data.update(overrides)
    return data


@pytest.mark.django_db
def test_changelist_with_a_search_term_has_a_constant_query_count(
    admin_client, django_assert_max_num_queries
):
    interests = InterestFactory.create_batch(3)
    stores = StoreFactory.create_batch(2)

    def queries_for(total: int) -> int:
        while Member.objects.count() < total:
            member = MemberFactory(preferred_store=stores[Member.objects.count() % 2])
            member.interests.set(interests)
        with CaptureQueriesContext(connection) as captured:
            response = admin_client.get(CHANGELIST, {"q": "example.se"})
        assert response.status_code == 200
        assert len(response.context["cl"].result_list) == total
        return len(captured)

    # given 3 members, then 30, all matching the search
    few = queries_for(3)
    many = queries_for(30)

    # then the page costs the same, and stays within the 3-member page's budget
    assert many == few
    with django_assert_max_num_queries(few):
        response = admin_client.get(CHANGELIST, {"q": "example.se"})
    assert len(response.context["cl"].result_list) == 30


@pytest.mark.django_db
def test_changelist_finds_by_number_name_email_and_phone(admin_client):
    kim = MemberFactory(first_name="Kim", email="kim@example.se", phone="+46701234567")
    MemberFactory(first_name="Alva")
    for term in (kim.number, "Kim", "kim@example", "+4670123"):
        result = admin_client.get(CHANGELIST, {"q": term}).context["cl"].result_list
        assert list(result) == [kim], term


@pytest.mark.django_db
def test_changelist_filters_answer(admin_client):
    MemberFactory(preferred_store=StoreFactory()).interests.add(InterestFactory())
    for params in (
        {"status__exact": "active"},
        {"source__exact": "store"},
        {"language__exact": "sv"},
        {"joined_at__gte": "2000-01-01 00:00:00+00:00"},
    ):
        assert admin_client.get(CHANGELIST, params).status_code == 200


@pytest.mark.django_db
def test_adding_a_member_goes_through_the_service(admin_client):
    interest = InterestFactory()

    response = admin_client.post(
        ADD,
        _member_form(
            email=" Kim.Berg@Example.SE ",
            phone="070-123 45 67",
            notes="Met at the spring event.",
            interests=[interest.pk],
        ),
    )

    assert response.status_code == 302, response.context["adminform"].form.errors
    member = Member.objects.get()
    assert member_number_is_valid(member.number)
    assert (member.email, member.phone, member.source) == (
        "kim.berg@example.se",
        "+46701234567",
        "store",
    )
    assert list(member.interests.all()) == [interest]
    assert AuditLogEntry.objects.filter(action="member.create", target_id=str(member.pk)).exists()


@pytest.mark.django_db
def test_adding_a_duplicate_email_shows_the_error_on_the_field(admin_client):
    MemberFactory(email="kim@example.se")

    response = admin_client.post(ADD, _member_form(email="KIM@example.se ", phone="12345"))

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "already has the e-mail" in errors["email"][0]
    assert "valid mobile" in errors["phone"][0]
    assert Member.objects.count() == 1


@pytest.mark.django_db
def test_changing_notes_and_contact_saves_through_the_service(admin_client):
    member = MemberFactory(email="kim@example.se", phone="+46701234567", first_name="Kim")
    contact = StaffFactory()

    response = admin_client.post(
        f"/admin/members/member/{member.pk}/change/",
        _member_form(
            first_name="Kim",
            last_name=member.last_name,
            email="kim@example.se",
            phone="+46701234567",
            postcode=member.postcode,
            city=member.city,
            status="active",
            staff_contact=contact.pk,
            notes="Private remark",
        ),
    )

    assert response.status_code == 302, response.context["adminform"].form.errors
    member.refresh_from_db()
    assert (member.notes, member.staff_contact) == ("Private remark", contact)
    entry = AuditLogEntry.objects.get(action="member.update")
    assert entry.details == {"fields": ["notes", "staff_contact"]}
    assert "Private" not in str(entry.details)


@pytest.mark.django_db
def test_members_are_never_deleted_in_the_admin(admin_client):
    member = MemberFactory()
    response = admin_client.post(f"/admin/members/member/{member.pk}/delete/", {"post": "yes"})
    assert response.status_code == 403
    assert Member.objects.filter(pk=member.pk).exists()


@pytest.mark.django_db
def test_consent_texts_are_added_as_new_versions_and_never_edited(admin_client):
    text = ConsentTextFactory(purpose="email")

    # when staff add a text for e-mail
    response = admin_client.post(
        "/admin/members/consenttext/add/",
        {"purpose": "email", "text_sv": "Ny text", "text_en": "New text"},
    )

    # then it is version 2, and version 1 is untouched and cannot be changed
    assert response.status_code == 302
    assert ConsentText.objects.get(purpose="email", version=2).text_en == "New text"
    change = admin_client.post(
        f"/admin/members/consenttext/{text.pk}/change/",
        {"purpose": "email", "text_sv": "Ändrad", "text_en": "Changed"},
    )
    assert change.status_code == 403
    text.refresh_from_db()
    assert text.text_en != "Changed"
    assert admin_client.get(f"/admin/members/consenttext/{text.pk}/change/").status_code == 200


@pytest.mark.django_db
def test_the_consent_log_is_read_only_and_filterable(admin_client):
    for purpose in ConsentPurpose.values:
        ConsentTextFactory(purpose=purpose)
    event = ConsentEventFactory(purpose="sms", granted=True, source="store")
    ConsentEventFactory(purpose="email", granted=False, text=None, source="unsubscribe")

    response = admin_client.get(
        "/admin/members/consentevent/", {"purpose__exact": "sms", "granted__exact": "1"}
    )

    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == [event]
    assert admin_client.get("/admin/members/consentevent/add/").status_code == 403
    change = admin_client.post(
        f"/admin/members/consentevent/{event.pk}/change/", {"granted": "", "purpose": "sms"}
    )
    assert change.status_code == 403
    assert ConsentEvent.objects.get(pk=event.pk).granted is True


@pytest.mark.django_db
def test_stores_and_interests_pages_answer(admin_client):
    StoreFactory()
    InterestFactory()
    for url in (
        "/admin/members/store/",
        "/admin/members/store/add/",
        "/admin/members/interest/",
        "/admin/members/interest/add/",
    ):
        assert admin_client.get(url).status_code == 200, url
    response = admin_client.post(
        "/admin/members/interest/add/", {"name": "Trail running", "slug": "trail-running"}
    )
    assert response.status_code == 302
