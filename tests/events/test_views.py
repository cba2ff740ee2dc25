"""The member's event pages and the staff check-in page: who may use them, what they show, that
every change is a POST, refusals as translated messages, constant query counts."""

import json

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import timezone

from events.models import CheckIn, Event, Registration
from events.services.registrations import event_cancel_registration, event_register
from tests.members.factories import MemberFactory, StaffFactory, UserFactory

from .factories import EventFactory, in_days

pytestmark = pytest.mark.django_db
S = Registration.Status


@pytest.fixture
def member(user):
    return MemberFactory(user=user, email=user.email, language="sv")


@pytest.fixture
def logged_in(client, user, member, settings):
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "sv"
    return client


@pytest.mark.parametrize("name", ["events:list", "events:mine"])
def test_pages_need_a_login(client, name):
    response = client.get(reverse(name))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_list_shows_events_with_seats_left_and_filters(logged_in, member):
    EventFactory(title_sv="Vinprovning", city="Göteborg", capacity=10)
    EventFactory(title_sv="Draft-kväll", status=Event.Status.DRAFT)
    EventFactory(title_sv="Passerat", starts_at=in_days(-3))
    EventFactory(title_sv="Öppet hus", city="Malmö")

    page = logged_in.get(reverse("events:list")).content.decode()
    assert "Vinprovning" in page and "10 platser kvar" in page
    assert "Draft-kväll" not in page and "Passerat" not in page

    filtered = logged_in.get(reverse("events:list"), {"city": "Malmö"}).content.decode()
    assert "Vinprovning" not in filtered and "Öppet hus" in filtered


def test_list_and_event_page_queries_do_not_grow(logged_in, member, django_assert_max_num_queries):
    for _i in range(3):
        event = EventFactory()
        event_register(event=event, member=MemberFactory())
    with django_assert_max_num_queries(14) as few:
        logged_in.get(reverse("events:list"))
    baseline = len(few.captured_queries)
    for _i in range(15):
        event = EventFactory()
        event_register(event=event, member=MemberFactory())
        event_register(event=event, member=member)
    with django_assert_max_num_queries(baseline):
        response = logged_in.get(reverse("events:list"))
    assert response.status_code == 200
    with django_assert_max_num_queries(12):
        logged_in.get(reverse("events:detail", args=[event.pk]))
    with django_assert_max_num_queries(baseline):
        logged_in.get(reverse("events:mine"))


def test_register_cancel_and_waitlist_from_the_event_page(logged_in, member):
    event = EventFactory(capacity=1, guests_allowed=1)
    other = event_register(event=event, member=MemberFactory())

    assert logged_in.get(reverse("events:register", args=[event.pk])).status_code == 405
    response = logged_in.post(
        reverse("events:register", args=[event.pk]), {"guests": "0"}, follow=True
    )
    mine = Registration.objects.get(event=event, member=member)
    assert mine.status == S.WAITLISTED
    assert "väntelistan" in response.content.decode()
    assert "nummer 1 i kön" in response.content.decode()

    event_cancel_registration(registration=other, member=other.member)
    mine.refresh_from_db()
    assert mine.status == S.REGISTERED
    page = logged_in.get(reverse("events:detail", args=[event.pk])).content.decode()
    assert mine.code in page

    response = logged_in.post(reverse("events:cancel", args=[event.pk]), follow=True)
    assert Registration.objects.get(pk=mine.pk).status == S.CANCELLED
    assert "avbokad" in response.content.decode()


def test_refusal_is_a_translated_message_and_writes_nothing(logged_in, member):
    event = EventFactory(guests_allowed=1)
    response = logged_in.post(
        reverse("events:register", args=[event.pk]), {"guests": "5"}, follow=True
    )
    assert "Du får ta med högst 1 gäster" in response.content.decode()
    assert not Registration.objects.exists()


def test_offer_accept_and_decline(logged_in, member):
    event = EventFactory(capacity=1, waitlist_mode=Event.WaitlistMode.OFFER)
    seated = event_register(event=event, member=MemberFactory())
    event_register(event=event, member=member)
    event_cancel_registration(registration=seated, member=seated.member)

    page = logged_in.get(reverse("events:detail", args=[event.pk])).content.decode()
    assert "Tacka ja till platsen" in page
    logged_in.post(reverse("events:accept", args=[event.pk]))
    assert Registration.objects.get(event=event, member=member).status == S.REGISTERED


def test_a_member_cannot_reach_another_members_registration(logged_in, member):
    event = EventFactory()
    theirs = event_register(event=event, member=MemberFactory())
    assert logged_in.get(reverse("events:ics", args=[theirs.pk])).status_code == 404
    assert logged_in.get(reverse("events:qr", args=[theirs.pk])).status_code == 404
    mine = event_register(event=EventFactory(), member=member)
    ics = logged_in.get(reverse("events:ics", args=[mine.pk]))
    assert ics["Content-Type"] == "text/calendar" and b"BEGIN:VEVENT" in ics.content
    qr = logged_in.get(reverse("events:qr", args=[mine.pk]))
    assert qr["Content-Type"] == "image/svg+xml" and b"<svg" in qr.content


def test_segment_events_are_hidden_from_others(logged_in, member):
    from members.models import Segment

    segment = Segment.objects.create(
        name="Malmö",
        rules={"op": "and", "rules": [{"field": "city", "operator": "eq", "value": "Malmö"}]},
    )
    event = EventFactory(eligibility=Event.Eligibility.SEGMENT, segment=segment, title_sv="Hemlig")
    assert "Hemlig" not in logged_in.get(reverse("events:list")).content.decode()
    assert logged_in.get(reverse("events:detail", args=[event.pk])).status_code == 404


def test_my_events_shows_code_qr_and_attended(logged_in, member):
    event = EventFactory()
    registration = event_register(event=event, member=member)
    page = logged_in.get(reverse("events:mine")).content.decode()
    assert registration.code in page and reverse("events:qr", args=[registration.pk]) in page


# --- Check-in ----------------------------------------------------------------------------------


@pytest.fixture
def store_staff(client):
    staff = StaffFactory()
    staff.groups.add(Group.objects.get(name="store staff"))
    client.force_login(staff)
    return client


def test_checkin_needs_the_permission(client):
    event = EventFactory()
    client.force_login(UserFactory())
    assert client.get(reverse("events:checkin", args=[event.pk])).status_code == 403
    scan = client.post(
        reverse("events:checkin-scan", args=[event.pk]),
        json.dumps({"code": "X", "nonce": "n"}),
        content_type="application/json",
    )
    assert scan.status_code == 403


def test_checkin_scan_by_code_and_find_by_name(store_staff, django_assert_max_num_queries):
    event = EventFactory(attendance_points=10)
    member = MemberFactory(first_name="Astrid", last_name="Lind")
    registration = event_register(event=event, member=member, guests=1)
    for _i in range(10):
        event_register(event=event, member=MemberFactory(last_name="Lindqvist"))

    with django_assert_max_num_queries(10):
        page = store_staff.get(reverse("events:checkin", args=[event.pk]), {"q": "Lind"})
    assert "Astrid Lind" in page.content.decode()

    url = reverse("events:checkin-scan", args=[event.pk])
    body = {"code": registration.code, "nonce": "abc", "scanned_at": timezone.now().isoformat()}
    first = store_staff.post(url, json.dumps(body), content_type="application/json")
    again = store_staff.post(url, json.dumps(body), content_type="application/json")
    assert first.json()["ok"] and again.json()["ok"]
    assert CheckIn.objects.count() == 1

    second = store_staff.post(
        url, json.dumps({**body, "nonce": "def"}), content_type="application/json"
    )
    assert second.status_code == 400 and second.json()["code"] == "already_checked_in"
    offline = store_staff.post(
        url, json.dumps({**body, "nonce": "ghi", "offline": True}), content_type="application/json"
    )
    assert offline.json()["flagged"] and CheckIn.objects.filter(flagged=True).count() == 1


def test_checkin_scan_refuses_bad_json(store_staff):
    event = EventFactory()
    url = reverse("events:checkin-scan", args=[event.pk])
    response = store_staff.post(url, "[1,2]", content_type="application/json")
    assert response.status_code == 400 and response.json()["message"]
