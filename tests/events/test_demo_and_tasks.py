"""The demo events and the periodic tasks."""

import datetime
import random

import pytest
from django.conf import settings
from django.utils import timezone

from core.models import OutgoingEmail
from core.seeding import SeedContext
from events.demo import seed_events
from events.models import Event, Registration, ReminderSent
from events.selectors.reconcile import events_reconcile
from events.services.registrations import event_cancel_registration, event_register
from events.tasks import offers_expire_task, reminders_send_task
from rewards.services.ledger import points_award
from tests.members.factories import MemberFactory
from tests.rewards.helpers import assert_ledger_consistent

from .factories import EventFactory

pytestmark = pytest.mark.django_db


def test_demo_events_in_proportion_with_a_full_one_a_priced_one_and_an_online_one():
    members = MemberFactory.create_batch(40)
    for member in members[:5]:
        points_award(member=member, points=1000, reason="Start", idempotency_key=f"s{member.pk}")
    ctx = SeedContext(
        members=40,
        seed=3,
        rng=random.Random(3),
        out=lambda _line: None,
        made={"member_ids": [m.pk for m in members]},
    )

    seed_events(ctx)

    now = timezone.now()
    assert Event.objects.filter(starts_at__lt=now).count() == 4
    assert Event.objects.filter(starts_at__gt=now).count() == 4
    assert Registration.objects.filter(status="waitlisted").exists()
    assert Event.objects.filter(online_url__gt="", venue="").count() == 1
    priced = Event.objects.get(points_price__gt=0)
    assert Registration.objects.filter(event=priced, points_paid__gt=0).count() == 3
    assert Registration.objects.filter(attended_at__isnull=False).exists()
    assert events_reconcile() == []
    assert_ledger_consistent()


def test_tasks_are_registered_in_beat_and_safe_twice():
    schedule = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert {"events.tasks.reminders_send_task", "events.tasks.offers_expire_task"} <= schedule

    soon = EventFactory(starts_at=timezone.now() + datetime.timedelta(hours=3))
    event_register(event=soon, member=MemberFactory())
    assert reminders_send_task() == 1
    assert reminders_send_task() == 0
    assert ReminderSent.objects.count() == 1

    offered = EventFactory(capacity=1, waitlist_mode="offer")
    seated = event_register(event=offered, member=MemberFactory())
    event_register(event=offered, member=MemberFactory())
    event_cancel_registration(registration=seated, member=seated.member)
    Registration.objects.filter(status="offered").update(
        offer_expires_at=timezone.now() - datetime.timedelta(minutes=1)
    )
    assert offers_expire_task() == 1
    assert offers_expire_task() == 0
    assert OutgoingEmail.objects.exists()
