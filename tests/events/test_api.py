"""The events API: the member's own events and registrations, idempotent writes, refusals with a
code and a message in the member's language, staff check-in."""

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from events.models import CheckIn, Event, Registration
from events.services.registrations import event_register
from tests.members.factories import MemberFactory, StaffFactory

from .factories import EventFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def member(user):
    return MemberFactory(user=user, email=user.email, language="sv")


@pytest.fixture
def api(member_api_client, member):
    return member_api_client


def register(api, event, key="k1", **body):
    return api.post(
        reverse("api-event-register", args=[event.pk]),
        body or {"guests": 0},
        format="json",
        HTTP_IDEMPOTENCY_KEY=key,
    )


def test_list_and_detail_show_seats_left(api):
    event = EventFactory(capacity=5)
    EventFactory(status=Event.Status.DRAFT)
    response = api.get(reverse("api-event-list"))
    assert response.status_code == 200
    (row,) = response.json()["results"]
    assert row["id"] == event.pk and row["seats_left"] == 5 and row["my_status"] is None
    assert api.get(reverse("api-event-detail", args=[event.pk])).json()["capacity"] == 5


def test_register_is_idempotent_and_returns_status_position_and_code(api, member):
    event = EventFactory(capacity=1)
    event_register(event=event, member=MemberFactory())

    first = register(api, event)
    again = register(api, event)

    assert first.status_code == 201, first.json()
    assert first.json()["status"] == "waitlisted" and first.json()["position"] == 1
    assert again.json() == first.json() and again["Idempotent-Replayed"] == "true"
    assert Registration.objects.filter(member=member).count() == 1


def test_register_needs_an_idempotency_key(api):
    event = EventFactory()
    response = api.post(reverse("api-event-register", args=[event.pk]), {}, format="json")
    assert response.status_code == 400 and not Registration.objects.exists()


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"guests": -1}, "guests_negative"),
        ({"guests": 9}, "too_many_guests"),
        ({"guests": "x"}, "guests_not_number"),
        ({"guests": [1]}, "guests_not_number"),
    ],
)
def test_refusals_are_400_with_a_code_and_a_swedish_message(api, body, code):
    event = EventFactory(guests_allowed=1)
    response = register(api, event, **body)
    assert response.status_code == 400
    assert response.json()["code"] == code
    assert any(word in response.json()["detail"] for word in ("gäst", "Antalet"))
    assert not Registration.objects.exists()


def test_tier_refusal_is_explained_and_drafts_are_404(api):
    from rewards.models import Tier

    gold = Tier.objects.create(name_sv="Guld", name_en="Gold", threshold=1000, order=9)
    event = EventFactory(eligibility=Event.Eligibility.TIERS)
    event.tiers.add(gold)
    response = register(api, event)
    assert response.status_code == 400 and response.json()["code"] == "wrong_tier"
    assert register(api, EventFactory(status=Event.Status.DRAFT), key="k2").status_code == 404


def test_cancel_and_my_registrations_and_ics(api, member):
    event = EventFactory()
    registration_id = register(api, event).json()["registration"]

    mine = api.get(reverse("api-registration-list")).json()["results"]
    assert [row["id"] for row in mine] == [registration_id]
    ics = api.get(reverse("api-registration-ics", args=[registration_id]))
    assert ics.status_code == 200 and b"BEGIN:VCALENDAR" in ics.content

    cancelled = api.post(reverse("api-event-cancel", args=[event.pk]), HTTP_IDEMPOTENCY_KEY="c1")
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    again = api.post(reverse("api-event-cancel", args=[event.pk]), HTTP_IDEMPOTENCY_KEY="c2")
    assert again.status_code == 400 and again.json()["code"] == "not_registered"


def test_another_members_ics_is_404(api):
    theirs = event_register(event=EventFactory(), member=MemberFactory())
    assert api.get(reverse("api-registration-ics", args=[theirs.pk])).status_code == 404


def test_checkin_is_for_staff_and_once_per_nonce(api_client, member_api_client):
    event = EventFactory()
    registration = event_register(event=event, member=MemberFactory())
    body = {"code": registration.code, "nonce": "n-1", "scanned_at": "2026-12-01T18:05:00+01:00"}
    assert (
        member_api_client.post(reverse("api-event-checkin"), body, format="json").status_code == 403
    )

    staff = StaffFactory()
    staff.groups.add(Group.objects.get(name="store staff"))
    api_client.force_authenticate(user=staff)
    first = api_client.post(reverse("api-event-checkin"), body, format="json")
    again = api_client.post(reverse("api-event-checkin"), body, format="json")
    assert first.status_code == 200 and first.json()["accepted"]
    assert again.json()["id"] == first.json()["id"] and CheckIn.objects.count() == 1
    second = api_client.post(reverse("api-event-checkin"), {**body, "nonce": "n-2"}, format="json")
    assert second.status_code == 400 and second.json()["code"] == "already_checked_in"
    unknown = api_client.post(
        reverse("api-event-checkin"), {**body, "code": "NOPE", "nonce": "n-3"}, format="json"
    )
    assert unknown.status_code == 400 and unknown.json()["code"] == "unknown_code"


def test_the_schema_documents_the_events_api(api_client):
    schema = api_client.get("/api/schema/").content.decode()
    for path in (
        "/api/v1/events/",
        "/api/v1/events/{event_id}/register/",
        "/api/v1/events/checkin/",
    ):
        assert path in schema
