"""The one write path for seats: registration, waitlist, offers, capacity, cancellation, points,
check-in, reminders and invitations, against the real database."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import IntegrityError, transaction
from django.utils import timezone

from core.models import OutgoingEmail
from events.models import CheckIn, Event, Invitation, Registration, ReminderSent
from events.selectors.reconcile import events_reconcile
from events.services.checkin import checkin_record
from events.services.registrations import (
    event_cancel,
    event_cancel_registration,
    event_capacity_change,
    event_register,
    offer_accept,
    offer_decline,
    offers_expire,
    registration_promote,
)
from events.services.reminders import invitations_send, reminders_send
from members.models import Member
from rewards.models import PointsEntry
from rewards.services.ledger import points_award
from tests.members.factories import MemberFactory
from tests.rewards.helpers import assert_ledger_consistent, balance_of

from .factories import EventFactory, in_days

pytestmark = pytest.mark.django_db
S = Registration.Status


def refused(expected, func, **kwargs):
    with pytest.raises(ValidationError) as caught:
        func(**kwargs)
    assert caught.value.code == expected, caught.value
    return caught.value


def test_register_takes_seats_with_guests_and_sends_a_confirmation_with_ics():
    event = EventFactory(capacity=5, guests_allowed=2)
    member = MemberFactory(language="sv")

    registration = event_register(event=event, member=member, guests=2)

    assert registration.status == S.REGISTERED and registration.party_size == 3
    assert Event.objects.get(pk=event.pk).seats_taken == 3
    assert len(registration.code) == 6
    email = OutgoingEmail.objects.get()
    assert email.payload["to"] == [member.email]
    assert registration.code in email.payload["body"]
    (_name, ics, mimetype) = email.payload["attachments"][0]
    assert mimetype == "text/calendar"
    assert f"UID:registration-{registration.pk}@" in ics
    assert "DTSTART:" in ics and ics.count("Z\r\n") >= 2  # UTC times
    assert member.email not in ics and registration.qr_token not in ics
    assert "Du är anmäld" in email.payload["body"]


def test_full_event_puts_members_on_the_waitlist_in_order():
    event = EventFactory(capacity=2, guests_allowed=1)
    first = event_register(event=event, member=MemberFactory(), guests=1)
    second = event_register(event=event, member=MemberFactory())
    third = event_register(event=event, member=MemberFactory())

    assert first.status == S.REGISTERED
    assert (second.status, second.waitlist_position) == (S.WAITLISTED, 1)
    assert (third.status, third.waitlist_position) == (S.WAITLISTED, 2)
    assert events_reconcile() == []


def test_cancelling_promotes_the_first_in_line_whose_party_fits():
    event = EventFactory(capacity=2, guests_allowed=1)
    seated = event_register(event=event, member=MemberFactory())
    event_register(event=event, member=MemberFactory())
    pair = event_register(event=event, member=MemberFactory(), guests=1)
    single = event_register(event=event, member=MemberFactory())

    event_cancel_registration(registration=seated, member=seated.member)

    pair.refresh_from_db()
    single.refresh_from_db()
    assert pair.status == S.WAITLISTED  # a party of two does not fit in one seat
    assert single.status == S.REGISTERED and single.waitlist_position is None
    assert Event.objects.get(pk=event.pk).seats_taken == 2
    assert events_reconcile() == []


def test_offer_mode_holds_the_seat_then_accept_registers():
    event = EventFactory(capacity=1, waitlist_mode=Event.WaitlistMode.OFFER, offer_hours=24)
    seated = event_register(event=event, member=MemberFactory())
    waiting = event_register(event=event, member=MemberFactory())

    event_cancel_registration(registration=seated, member=seated.member)
    waiting.refresh_from_db()
    assert waiting.status == S.OFFERED
    assert waiting.offer_expires_at > timezone.now() + datetime.timedelta(hours=23)

    refused("no_offer", offer_accept, registration=waiting, member=seated.member)
    accepted = offer_accept(registration=waiting, member=waiting.member)
    assert accepted.status == S.REGISTERED
    assert Event.objects.get(pk=event.pk).seats_taken == 1


def test_an_expired_offer_passes_to_the_next_and_cannot_be_accepted():
    event = EventFactory(capacity=1, waitlist_mode=Event.WaitlistMode.OFFER, offer_hours=1)
    seated = event_register(event=event, member=MemberFactory())
    offered = event_register(event=event, member=MemberFactory())
    nxt = event_register(event=event, member=MemberFactory())
    event_cancel_registration(registration=seated, member=seated.member)

    later = timezone.now() + datetime.timedelta(hours=2)
    assert offers_expire(now=later) == 1
    assert offers_expire(now=later) == 0

    offered.refresh_from_db()
    nxt.refresh_from_db()
    assert offered.status == S.DECLINED and nxt.status == S.OFFERED
    refused("offer_expired", offer_accept, registration=offered, member=offered.member)
    assert events_reconcile() == []


def test_declining_an_offer_passes_it_on():
    event = EventFactory(capacity=1, waitlist_mode=Event.WaitlistMode.OFFER)
    seated = event_register(event=event, member=MemberFactory())
    offered = event_register(event=event, member=MemberFactory())
    nxt = event_register(event=event, member=MemberFactory())
    event_cancel_registration(registration=seated, member=seated.member)

    offer_decline(registration=offered, member=offered.member)

    nxt.refresh_from_db()
    assert nxt.status == S.OFFERED
    assert Registration.objects.get(pk=offered.pk).status == S.DECLINED


def test_leaving_the_waitlist_frees_no_seat_and_can_register_again():
    event = EventFactory(capacity=1)
    event_register(event=event, member=MemberFactory())
    waiting = event_register(event=event, member=MemberFactory())

    event_cancel_registration(registration=waiting, member=waiting.member)
    again = event_register(event=event, member=waiting.member)

    assert again.pk == waiting.pk and again.status == S.WAITLISTED
    assert Registration.objects.filter(event=event).count() == 2


def test_raising_capacity_promotes_and_lowering_below_taken_is_refused():
    event = EventFactory(capacity=1)
    event_register(event=event, member=MemberFactory())
    waiting = event_register(event=event, member=MemberFactory())

    refused("capacity_not_number", event_capacity_change, event=event, capacity=0)
    refused("capacity_not_number", event_capacity_change, event=event, capacity="x")
    event_capacity_change(event=event, capacity=2)

    waiting.refresh_from_db()
    assert waiting.status == S.REGISTERED
    assert Event.objects.get(pk=event.pk).seats_taken == 2
    with pytest.raises(ValidationError) as caught:
        event_capacity_change(event=event, capacity=1)
    assert "2" in caught.value.messages[0]


def test_capacity_below_taken_is_refused_by_the_database_too():
    event = EventFactory(capacity=2)
    event_register(event=event, member=MemberFactory(), guests=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        Event.objects.filter(pk=event.pk).update(capacity=1)


def test_staff_promotes_from_the_waitlist_only_when_it_fits():
    event = EventFactory(capacity=1)
    event_register(event=event, member=MemberFactory())
    waiting = event_register(event=event, member=MemberFactory())
    refused("does_not_fit", registration_promote, registration=waiting, actor=None)
    Event.objects.filter(pk=event.pk).update(capacity=2)  # a seat nobody has handed on yet

    promoted = registration_promote(registration=waiting, actor=None)

    assert promoted.status == S.REGISTERED
    assert Event.objects.get(pk=event.pk).seats_taken == 2
    refused("not_waitlisted", registration_promote, registration=waiting, actor=None)


def test_staff_registers_outside_the_window():
    event = EventFactory(registration_closes_at=timezone.now() - datetime.timedelta(hours=1))
    member = MemberFactory()
    refused("closed", event_register, event=event, member=member)
    registration = event_register(event=event, member=member, by_staff=True)
    assert registration.by_staff and registration.status == S.REGISTERED


def test_bad_input_is_refused_with_a_message_and_writes_nothing():
    member = MemberFactory()
    cases = [
        ("not_open_yet", EventFactory(registration_opens_at=in_days(2)), {}),
        ("closed", EventFactory(registration_closes_at=timezone.now()), {}),
        ("event_cancelled", EventFactory(status=Event.Status.CANCELLED), {}),
        ("not_published", EventFactory(status=Event.Status.DRAFT), {}),
        ("event_past", EventFactory(starts_at=in_days(-2)), {}),
        ("too_many_guests", EventFactory(guests_allowed=1), {"guests": 2}),
        ("guests_negative", EventFactory(), {"guests": -1}),
        ("guests_not_number", EventFactory(), {"guests": "två"}),
        ("guests_not_number", EventFactory(), {"guests": 1.5}),
    ]
    for code, event, kwargs in cases:
        error = refused(code, event_register, event=event, member=member, **kwargs)
        assert error.messages[0]
    assert Registration.objects.count() == 0
    assert OutgoingEmail.objects.count() == 0


def test_twice_is_refused():
    event = EventFactory(capacity=1)
    member = MemberFactory()
    event_register(event=event, member=member)
    refused("already_registered", event_register, event=event, member=member)
    other = MemberFactory()
    event_register(event=event, member=other)
    refused("already_waitlisted", event_register, event=event, member=other)


def test_messages_are_in_swedish_when_swedish_is_active():
    from django.utils import translation

    event = EventFactory(guests_allowed=0)
    with translation.override("sv"):
        error = refused(
            "too_many_guests", event_register, event=event, member=MemberFactory(), guests=1
        )
        assert "högst 0 gäster" in error.messages[0]


def test_tier_and_segment_eligibility():
    from members.models import Segment
    from rewards.models import Tier

    gold = Tier.objects.create(name_sv="Guld", name_en="Gold", threshold=1000, order=9)
    event = EventFactory(eligibility=Event.Eligibility.TIERS)
    event.tiers.add(gold)
    refused("wrong_tier", event_register, event=event, member=MemberFactory())

    segment = Segment.objects.create(
        name="Göteborg",
        rules={"op": "and", "rules": [{"field": "city", "operator": "eq", "value": "Göteborg"}]},
    )
    by_segment = EventFactory(eligibility=Event.Eligibility.SEGMENT, segment=segment)
    refused("not_in_segment", event_register, event=by_segment, member=MemberFactory())
    assert event_register(event=by_segment, member=MemberFactory(city="Göteborg")).pk


def test_cancel_after_the_deadline_is_refused_but_the_waitlist_may_always_leave():
    event = EventFactory(capacity=1, cancellation_deadline=in_days(1))
    seated = event_register(event=event, member=MemberFactory())
    waiting = event_register(event=event, member=MemberFactory())
    later = in_days(2)
    refused(
        "cancel_too_late",
        event_cancel_registration,
        registration=seated,
        member=seated.member,
        now=later,
    )
    event_cancel_registration(registration=waiting, member=waiting.member, now=later)
    refused("not_registered", event_cancel_registration, registration=seated, member=waiting.member)


def test_points_price_paid_refunded_and_paid_again_keeps_the_ledger():
    event = EventFactory(points_price=100, guests_allowed=1)
    member = MemberFactory()
    points_award(member=member, points=500, reason="Start", idempotency_key="start")

    registration = event_register(event=event, member=member, guests=1)
    assert balance_of(member) == 300 and registration.points_paid == 200
    event_cancel_registration(registration=registration, member=member)
    assert balance_of(member) == 500
    again = event_register(event=event, member=member)
    assert balance_of(member) == 400

    again.refresh_from_db()
    assert (again.points_paid, again.points_refunded) == (300, 200)
    assert events_reconcile() == []
    assert_ledger_consistent()


def test_too_few_points_writes_nothing():
    event = EventFactory(points_price=100)
    member = MemberFactory()
    refused("too_few_points", event_register, event=event, member=member)
    assert Registration.objects.count() == 0 and PointsEntry.objects.count() == 0


def test_cancelling_the_event_tells_everyone_and_refunds():
    event = EventFactory(capacity=1, points_price=50)
    members = MemberFactory.create_batch(2)
    for member in members:
        points_award(member=member, points=50, reason="Start", idempotency_key=f"s{member.pk}")
        event_register(event=event, member=member)
    OutgoingEmail.objects.all().delete()

    event_cancel(event=event)

    assert set(Registration.objects.values_list("status", flat=True)) == {S.CANCELLED}
    assert [balance_of(m) for m in members] == [50, 50]
    assert OutgoingEmail.objects.count() == 2
    assert Event.objects.get(pk=event.pk).seats_taken == 0
    assert events_reconcile() == []
    refused("already_cancelled", event_cancel, event=event)


def test_checkin_awards_the_events_points_once_and_a_replayed_nonce_is_one_checkin():
    event = EventFactory(attendance_points=75)
    registration = event_register(event=event, member=MemberFactory())

    first = checkin_record(event=event, code=registration.code.lower(), nonce="n1")
    again = checkin_record(event=event, code=registration.code, nonce="n1")

    assert first.pk == again.pk and first.accepted
    assert balance_of(registration.member) == 75
    refused("already_checked_in", checkin_record, event=event, code=registration.code, nonce="n2")
    flagged = checkin_record(event=event, code=registration.qr_token, nonce="n3", offline=True)
    assert flagged.flagged and not flagged.accepted and "checked in at" in flagged.flag_reason
    assert balance_of(registration.member) == 75
    assert CheckIn.objects.count() == 2


def test_checkin_refuses_other_events_and_cancelled_registrations():
    event = EventFactory()
    other = EventFactory()
    elsewhere = event_register(event=other, member=MemberFactory())
    refused("other_event", checkin_record, event=event, code=elsewhere.code, nonce="a")
    cancelled = event_register(event=event, member=MemberFactory())
    event_cancel_registration(registration=cancelled, member=cancelled.member)
    refused("not_registered", checkin_record, event=event, code=cancelled.code, nonce="b")
    refused("unknown_code", checkin_record, event=event, code="ZZZZZZ", nonce="c")
    assert CheckIn.objects.count() == 0


def test_reminders_are_sent_once_and_not_to_the_cancelled():
    event = EventFactory(starts_at=timezone.now() + datetime.timedelta(hours=10))
    kept = event_register(event=event, member=MemberFactory())
    gone = event_register(event=event, member=MemberFactory())
    event_cancel_registration(registration=gone, member=gone.member)
    far = EventFactory(starts_at=in_days(5))
    event_register(event=far, member=MemberFactory())
    OutgoingEmail.objects.all().delete()

    assert reminders_send() == 1
    assert reminders_send() == 0
    assert ReminderSent.objects.get().registration_id == kept.pk
    assert OutgoingEmail.objects.count() == 1


def test_invitations_are_personal_and_once_per_event():
    event = EventFactory()
    members = MemberFactory.create_batch(3, language="en")
    MemberFactory(status=Member.Status.PAUSED)

    assert invitations_send(event=event, members=Member.objects.all()) == 3
    assert invitations_send(event=event, members=Member.objects.all()) == 0
    assert Invitation.objects.filter(event=event, member__in=members).count() == 3
    assert OutgoingEmail.objects.count() == 3
    body = OutgoingEmail.objects.first().payload["body"]
    assert "you are invited" in body


def test_events_reconcile_command_exits_non_zero_and_lists_the_problem():
    event = EventFactory(capacity=3)
    event_register(event=event, member=MemberFactory())
    call_command("events_reconcile")
    Event.objects.filter(pk=event.pk).update(seats_taken=2)
    with pytest.raises(CommandError) as failed:
        call_command("events_reconcile")
    assert failed.value.returncode == 1


def test_events_reconcile_finds_a_points_price_the_ledger_does_not_know():
    event = EventFactory(points_price=100)
    member = MemberFactory()
    points_award(member=member, points=500, reason="Start", idempotency_key="start")
    registration = event_register(event=event, member=member)
    assert events_reconcile() == []
    Registration.objects.filter(pk=registration.pk).update(points_paid=150)
    (problem,) = events_reconcile()
    assert problem.kind == "registration" and "ledger 100" in problem.problem


def test_model_clean_refuses_a_start_in_the_skipped_hour():
    import datetime as dt

    event = EventFactory.build(
        starts_at=dt.datetime(2027, 3, 28, 2, 30),  # a wall-clock time on purpose
        ends_at=dt.datetime(2027, 3, 28, 4, 30),
    )
    with pytest.raises(ValidationError) as caught:
        event.clean()
    assert caught.value.error_dict["starts_at"][0].code == "dst_gap"
