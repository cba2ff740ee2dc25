"""What events plugs into: segment fields, the badge metric, the member 360 timeline, GDPR export
and erasure, the home card, the dashboard tile, the calendar and the back-office group."""

import datetime
import io
import zipfile

import pytest
from django.test import RequestFactory
from django.utils import timezone

from core.calendar import calendar_entries
from core.dashboard import Period, backoffice_model_group, dashboard_tiles
from core.home import home_cards
from events.models import Event, Invitation, Registration
from events.selectors.reconcile import events_reconcile
from events.services.checkin import checkin_record
from events.services.registrations import event_register
from events.services.reminders import invitations_send
from members.models import Member
from members.selectors.segments import segment_members
from members.selectors.timeline import member_timeline
from members.services.gdpr import member_erase, member_export_zip
from rewards.metrics import badge_metric_rows
from tests.members.factories import MemberFactory, UserFactory

from .factories import EventFactory, in_days

pytestmark = pytest.mark.django_db


def _past_event(**kwargs):
    event = EventFactory(**kwargs)
    return event


def _attend(event, member):
    registration = event_register(event=event, member=member)
    checkin_record(event=event, code=registration.code, nonce=f"n{registration.pk}")
    return registration


def _rules(field, operator, value, **params):
    rule = {"field": field, "operator": operator, "value": value}
    if params:
        rule["params"] = params
    return {"op": "and", "rules": [rule]}


def test_segment_fields_attended_registered_and_no_shows():
    event = EventFactory()
    came, stayed_away, nobody = MemberFactory.create_batch(3)
    _attend(event, came)
    event_register(event=event, member=stayed_away)
    Event.objects.filter(pk=event.pk).update(
        starts_at=timezone.now() - datetime.timedelta(days=2),
        ends_at=timezone.now() - datetime.timedelta(days=2) + datetime.timedelta(hours=2),
    )

    attended = segment_members(rules=_rules("events_attended", "gte", 1, days=30))
    assert list(attended) == [came]
    no_shows = segment_members(rules=_rules("events_no_shows", "gte", 1))
    assert list(no_shows) == [stayed_away]
    registered = segment_members(rules=_rules("events_registered", "eq", 0))
    assert nobody in registered and came not in registered


def test_upcoming_segment_field():
    member = MemberFactory()
    event_register(event=EventFactory(), member=member)
    MemberFactory()
    assert list(segment_members(rules=_rules("events_upcoming", "is", True))) == [member]


def test_badge_metric_counts_events_attended():
    member = MemberFactory()
    _attend(EventFactory(), member)
    _attend(EventFactory(), member)
    rows = list(badge_metric_rows(key="events_attended", member_ids=[member.pk]))
    assert rows == [{"member_id": member.pk, "value": 2}]


def test_timeline_shows_registration_and_check_in():
    member = MemberFactory()
    _attend(EventFactory(title_en="Wine tasting"), member)
    titles = [str(entry.title) for entry in member_timeline(member=member)]
    assert any("Wine tasting" in title and "Checked in" in title for title in titles)


def test_gdpr_export_and_erasure_keeps_counts():
    member = MemberFactory()
    event = EventFactory(capacity=1)
    registration = event_register(event=event, member=member)
    waiting = event_register(event=event, member=MemberFactory())
    invitations_send(event=EventFactory(), members=Member.objects.filter(pk=member.pk))

    archive = zipfile.ZipFile(io.BytesIO(member_export_zip(member=member)))
    assert registration.code in archive.read("event_registrations.csv").decode()
    assert "event_invitations.csv" in archive.namelist()

    member_erase(member=member)

    kept = Registration.objects.get(pk=registration.pk)
    assert kept.status == Registration.Status.CANCELLED and kept.code != registration.code
    assert Registration.objects.filter(event=event).count() == 2
    assert Registration.objects.get(pk=waiting.pk).status == Registration.Status.REGISTERED
    assert Invitation.objects.filter(member=member).count() == 1  # counted, on no one
    assert Member.objects.get(pk=member.pk).email == ""
    assert events_reconcile() == []


def test_home_card_shows_the_next_event():
    user = UserFactory()
    member = MemberFactory(user=user)
    request = RequestFactory().get("/")
    request.user = user
    assert not [card for card in home_cards(request, member) if card.key == "events-next"]
    event_register(event=EventFactory(title_sv="Nästa"), member=member)
    (card,) = [card for card in home_cards(request, member) if card.key == "events-next"]
    assert card.context["event"].title_sv == "Nästa"


def test_dashboard_tile_calendar_and_backoffice_group():
    event = EventFactory(capacity=4)
    event_register(event=event, member=MemberFactory())
    (tile,) = [tile for tile in dashboard_tiles() if tile.key == "events"]
    now = timezone.now()
    data = tile.data(
        RequestFactory().get("/"),
        Period(start=now - datetime.timedelta(days=30), end=now, key="30d", label=""),
    )
    assert {"label", "value"} <= set(data["figures"][0])
    assert next(f["display"] for f in data["figures"] if "display" in f) == "25 %"
    entries = calendar_entries(start=now, end=in_days(30), user=None)
    assert [e.title for e in entries if e.kind == "event"] == [event.title]
    assert backoffice_model_group("events.Event").group == "club_life"
