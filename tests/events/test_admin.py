"""The events admin: capacity and cancelling through the services, figures, attendee list with
constant queries, CSV export safe from formulas, invitations once, staff registration, a series
across the daylight-saving change."""

import datetime
import zoneinfo

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import timezone

from core.models import OutgoingEmail
from events.models import Event, Invitation, Registration
from events.services.registrations import event_register
from events.services.series import event_series_create
from rewards.models import PointsAccount, Tier
from tests.members.factories import MemberFactory, StaffFactory

from .factories import EventFactory, in_days

pytestmark = pytest.mark.django_db
STOCKHOLM = zoneinfo.ZoneInfo("Europe/Stockholm")


@pytest.fixture
def admin_client(client, settings):
    settings.STAFF_MFA_REQUIRED = False
    staff = StaffFactory()
    staff.groups.add(Group.objects.get(name="club admin"))
    client.force_login(staff)
    return client


def _change_data(event: Event, **changes) -> dict:
    local = {
        "starts_at": timezone.localtime(event.starts_at),
        "ends_at": timezone.localtime(event.ends_at),
    }
    data = {
        "title_sv": event.title_sv,
        "title_en": event.title_en,
        "description_sv": event.description_sv,
        "description_en": event.description_en,
        "starts_at_0": local["starts_at"].strftime("%Y-%m-%d"),
        "starts_at_1": local["starts_at"].strftime("%H:%M:%S"),
        "ends_at_0": local["ends_at"].strftime("%Y-%m-%d"),
        "ends_at_1": local["ends_at"].strftime("%H:%M:%S"),
        "venue": event.venue,
        "address": event.address,
        "city": event.city,
        "online_url": "",
        "status": event.status,
        "capacity": event.capacity,
        "guests_allowed": event.guests_allowed,
        "eligibility": "all",
        "points_price": 0,
        "attendance_points": 0,
        "waitlist_mode": event.waitlist_mode,
        "offer_hours": 24,
        "reminder_hours": 24,
    }
    for prefix in ("registrations", "registrations-2"):
        data.update(
            {
                f"{prefix}-TOTAL_FORMS": 0,
                f"{prefix}-INITIAL_FORMS": 0,
                f"{prefix}-MIN_NUM_FORMS": 0,
                f"{prefix}-MAX_NUM_FORMS": 1000,
            }
        )
    data.update(changes)
    return data


def test_raising_capacity_in_the_admin_promotes_from_the_waitlist(admin_client):
    event = EventFactory(capacity=1)
    event_register(event=event, member=MemberFactory())
    waiting = event_register(event=event, member=MemberFactory())

    url = reverse("admin:events_event_change", args=[event.pk])
    response = admin_client.post(url, _change_data(event, capacity=2))

    assert response.status_code == 302, response.content.decode()[:3000]
    assert Registration.objects.get(pk=waiting.pk).status == Registration.Status.REGISTERED
    assert Event.objects.get(pk=event.pk).seats_taken == 2


def test_capacity_below_seats_taken_is_refused_in_the_form(admin_client):
    event = EventFactory(capacity=3)
    event_register(event=event, member=MemberFactory(), guests=1)
    url = reverse("admin:events_event_change", args=[event.pk])
    response = admin_client.post(url, _change_data(event, capacity=1))
    assert response.status_code == 200
    assert "cannot be below the 2 seats" in response.content.decode()
    assert Event.objects.get(pk=event.pk).capacity == 3


def test_end_before_start_is_refused_in_the_form(admin_client):
    event = EventFactory()
    data = _change_data(event)
    data["ends_at_0"] = (timezone.localtime(event.starts_at) - datetime.timedelta(days=1)).strftime(
        "%Y-%m-%d"
    )
    response = admin_client.post(reverse("admin:events_event_change", args=[event.pk]), data)
    assert (
        response.status_code == 200
        and "The end must be after the start" in response.content.decode()
    )


def test_cancelling_in_the_admin_goes_through_the_service(admin_client):
    event = EventFactory()
    registration = event_register(event=event, member=MemberFactory())
    url = reverse("admin:events_event_change", args=[event.pk])
    admin_client.post(url, _change_data(event, status="cancelled"))
    assert Registration.objects.get(pk=registration.pk).status == Registration.Status.CANCELLED
    assert Event.objects.get(pk=event.pk).seats_taken == 0


def test_change_page_shows_figures_and_lists_with_constant_queries(
    admin_client, django_assert_max_num_queries
):
    event = EventFactory(capacity=3)
    for _i in range(4):
        event_register(event=event, member=MemberFactory())
    url = reverse("admin:events_event_change", args=[event.pk])
    with django_assert_max_num_queries(60) as first:
        page = admin_client.get(url).content.decode()
    assert "No-show rate" in page and "Export attendees" in page
    for _i in range(20):
        event_register(event=event, member=MemberFactory())
    with django_assert_max_num_queries(len(first.captured_queries)):
        admin_client.get(url)
    changelist = reverse("admin:events_registration_changelist")
    with django_assert_max_num_queries(30) as few:
        admin_client.get(changelist, {"event__id__exact": event.pk})
    for _i in range(10):
        event_register(event=event, member=MemberFactory())
    with django_assert_max_num_queries(len(few.captured_queries)):
        admin_client.get(changelist, {"event__id__exact": event.pk})


def test_csv_export_is_safe_from_formulas(admin_client):
    event = EventFactory()
    event_register(event=event, member=MemberFactory(first_name="=HYPERLINK(1)"))
    response = admin_client.get(reverse("admin:events_event_export", args=[event.pk]))
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    assert "'=HYPERLINK(1)" in body


def test_inviting_tiers_sends_each_member_one_invitation(admin_client):
    gold = Tier.objects.create(name_sv="Guld", name_en="Gold", threshold=1000, order=9)
    members = MemberFactory.create_batch(2)
    for member in members:
        PointsAccount.objects.create(member=member, tier=gold)
    MemberFactory()
    event = EventFactory()
    url = reverse("admin:events_event_invite", args=[event.pk])

    admin_client.post(url, {"tiers": [gold.pk]})
    admin_client.post(url, {"tiers": [gold.pk]})

    assert Invitation.objects.filter(event=event).count() == 2
    assert OutgoingEmail.objects.filter(subject__startswith="Inbjudan").count() == 2
    empty = admin_client.post(url, {})
    assert "Choose tiers or a segment" in empty.content.decode()


def test_staff_registers_a_member_by_number(admin_client):
    event = EventFactory(registration_closes_at=timezone.now())
    member = MemberFactory()
    url = reverse("admin:events_event_register", args=[event.pk])
    admin_client.post(url, {"member": member.number, "guests": 0})
    assert Registration.objects.get(event=event, member=member).by_staff
    response = admin_client.post(url, {"member": "nobody", "guests": 0})
    assert "No member has this number" in response.content.decode()


def test_series_every_second_thursday_keeps_local_time_across_dst():
    first = datetime.date(2027, 3, 4)  # a Thursday; summer time starts on 28 March 2027
    events = event_series_create(
        fields={"title_sv": "Löpning", "venue": "Parken", "capacity": 10, "status": "published"},
        first=first,
        starts=datetime.time(18, 0),
        ends=datetime.time(19, 30),
        every_weeks=2,
        count=5,
    )
    local = [e.starts_at.astimezone(STOCKHOLM) for e in events]
    assert [d.date() for d in local] == [first + datetime.timedelta(weeks=2 * n) for n in range(5)]
    assert {(d.hour, d.minute, d.weekday()) for d in local} == {(18, 0, 3)}
    utc_hours = [e.starts_at.astimezone(datetime.UTC).hour for e in events]
    assert utc_hours == [17, 17, 16, 16, 16]
    assert len({e.series_key for e in events}) == 1


def test_series_in_the_skipped_hour_is_refused_and_creates_nothing(admin_client):
    data = {
        "title_sv": "Natt",
        "venue": "Hallen",
        "capacity": 5,
        "guests_allowed": 0,
        "eligibility": "all",
        "points_price": 0,
        "attendance_points": 0,
        "waitlist_mode": "auto",
        "offer_hours": 24,
        "reminder_hours": 24,
        "status": "draft",
        "first_date": "2027-03-14",
        "start_time": "02:30",
        "end_time": "03:30",
        "every_weeks": 2,
        "count": 3,
    }
    response = admin_client.post(reverse("admin:events_event_series"), data)
    assert response.status_code == 200
    assert "does not exist" in response.content.decode()
    assert not Event.objects.exists()
    data.update(start_time="18:00", end_time="20:00")
    response = admin_client.post(reverse("admin:events_event_series"), data)
    assert response.status_code == 302 and Event.objects.count() == 3
    assert in_days(0)


def test_a_start_in_the_skipped_hour_is_refused_in_the_form(admin_client):
    event = EventFactory()
    data = _change_data(event, starts_at_0="2027-03-28", starts_at_1="02:30:00")
    data.update(ends_at_0="2027-03-28", ends_at_1="05:00:00")
    response = admin_client.post(reverse("admin:events_event_change", args=[event.pk]), data)
    assert response.status_code == 200
    assert "Europe/Stockholm" in response.content.decode()
    assert Event.objects.get(pk=event.pk).starts_at == event.starts_at
