"""Seats under load, on PostgreSQL with real threads: each thread has its own connection, all
released together at a barrier; row locks, not luck, keep the counts right."""

import datetime
import threading
from collections import Counter

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone

from core.models import OutgoingEmail
from events.models import CheckIn, Event, Registration, ReminderSent
from events.selectors.reconcile import events_reconcile
from events.services.checkin import checkin_record
from events.services.registrations import (
    event_cancel_registration,
    event_register,
    offers_expire,
)
from events.services.reminders import reminders_send
from rewards.models import PointsEntry
from rewards.services.ledger import points_award
from tests.members.factories import MemberFactory
from tests.rewards.helpers import assert_ledger_consistent, balance_of

from .factories import EventFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
S = Registration.Status


# PostgreSQL allows 100 connections on the shared test server: at most this many threads hold
# one at a time (like a web server's workers); all are released together and race for them.
CONNECTIONS = 12


def run_together(count, func):
    """Run func(i) in `count` threads released at the same moment; [(outcome, value)]."""
    barrier = threading.Barrier(count)
    slots = threading.BoundedSemaphore(min(count, CONNECTIONS))
    results: list = [None] * count

    def worker(index):
        barrier.wait(timeout=60)
        with slots:
            try:
                results[index] = ("ok", func(index))
            except ValidationError as error:
                results[index] = (error.code, error)
            except Exception as error:
                results[index] = ("crash", error)
            finally:
                connection.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert all(result is not None for result in results), "a thread did not finish"
    return results


def test_two_hundred_members_at_once_for_twenty_seats():
    event = EventFactory(capacity=20, guests_allowed=0)
    members = MemberFactory.create_batch(200)

    results = run_together(200, lambda i: event_register(event=event, member=members[i]))

    assert Counter(outcome for outcome, _value in results) == {"ok": 200}, results
    rows = Registration.objects.filter(event=event)
    assert rows.count() == 200
    assert rows.filter(status=S.REGISTERED).count() == 20
    waiting = list(rows.filter(status=S.WAITLISTED).order_by("waitlist_position"))
    assert [r.waitlist_position for r in waiting] == list(range(1, 181))
    # Arrival order: the order in which they got the lock is the order they were stored in.
    assert [r.pk for r in waiting] == sorted(r.pk for r in waiting)
    assert len({r.member_id for r in rows}) == 200
    assert Event.objects.get(pk=event.pk).seats_taken == 20
    assert events_reconcile() == []


def test_five_cancellations_at_once_promote_the_first_five_who_fit():
    event = EventFactory(capacity=5, guests_allowed=1)
    seated = [event_register(event=event, member=MemberFactory()) for _i in range(5)]
    pair = event_register(event=event, member=MemberFactory(), guests=1)  # first, never fits
    singles = [event_register(event=event, member=MemberFactory()) for _i in range(6)]

    results = run_together(
        5,
        lambda i: event_cancel_registration(registration=seated[i], member=seated[i].member),
    )

    assert {outcome for outcome, _value in results} == {"ok"}, results
    # Each cancellation frees one seat at a time: the pair never fits, the singles behind it do.
    pair.refresh_from_db()
    assert pair.status == S.WAITLISTED
    statuses = [Registration.objects.get(pk=r.pk).status for r in singles]
    assert statuses == [S.REGISTERED] * 5 + [S.WAITLISTED]
    assert Event.objects.get(pk=event.pk).seats_taken == 5
    for single in singles[:5]:  # told once each
        assert OutgoingEmail.objects.filter(recipients=single.member.email).count() == 2
    assert events_reconcile() == []


def test_offer_expiry_run_twice_at_once_passes_on_exactly_once():
    event = EventFactory(capacity=1, waitlist_mode=Event.WaitlistMode.OFFER, offer_hours=1)
    seated = event_register(event=event, member=MemberFactory())
    offered = event_register(event=event, member=MemberFactory())
    following = [event_register(event=event, member=MemberFactory()) for _i in range(3)]
    event_cancel_registration(registration=seated, member=seated.member)
    later = timezone.now() + datetime.timedelta(hours=2)

    results = run_together(2, lambda i: offers_expire(now=later))

    assert sorted(value for _outcome, value in results) == [0, 1], results
    assert Registration.objects.get(pk=offered.pk).status == S.DECLINED
    assert [Registration.objects.get(pk=r.pk).status for r in following] == [
        S.OFFERED,
        S.WAITLISTED,
        S.WAITLISTED,
    ]
    assert events_reconcile() == []


def test_the_reminder_task_twice_at_once_sends_each_reminder_once():
    event = EventFactory(starts_at=timezone.now() + datetime.timedelta(hours=5))
    registrations = [event_register(event=event, member=MemberFactory()) for _i in range(10)]
    OutgoingEmail.objects.all().delete()

    results = run_together(2, lambda i: reminders_send())

    assert sum(value for _outcome, value in results) == 10, results
    assert ReminderSent.objects.count() == 10
    assert OutgoingEmail.objects.count() == 10
    assert sorted(ReminderSent.objects.values_list("registration_id", flat=True)) == sorted(
        r.pk for r in registrations
    )


def test_the_same_scan_twice_at_once_awards_the_points_once():
    event = EventFactory(attendance_points=40)
    registration = event_register(event=event, member=MemberFactory())

    results = run_together(
        4,
        lambda i: checkin_record(
            event=event, code=registration.code, nonce="scan-1", offline=i % 2 == 1
        ),
    )

    assert {outcome for outcome, _value in results} == {"ok"}, results
    assert len({value.pk for _outcome, value in results}) == 1
    assert CheckIn.objects.count() == 1
    assert balance_of(registration.member) == 40
    assert PointsEntry.objects.filter(member=registration.member).count() == 1


def test_points_priced_register_cancel_register_at_once_keeps_the_ledger():
    event = EventFactory(capacity=3, points_price=100, guests_allowed=0)
    members = MemberFactory.create_batch(6)
    for member in members:
        points_award(member=member, points=250, reason="Start", idempotency_key=f"s{member.pk}")

    def cycle(i):
        registration = event_register(event=event, member=members[i])
        event_cancel_registration(registration=registration, member=members[i])
        return event_register(event=event, member=members[i])

    results = run_together(6, cycle)

    assert {outcome for outcome, _value in results} == {"ok"}, results
    assert sorted(balance_of(m) for m in members) == [150] * 6
    assert Registration.objects.filter(event=event, status=S.REGISTERED).count() == 3
    assert events_reconcile() == []
    assert_ledger_consistent()
