"""Triggers: each member once per occasion, on/off audited, welcome steps by delay."""

from __future__ import annotations

import datetime

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.utils import timezone

from campaigns.models import Message, Trigger
from campaigns.services.sending import campaign_send
from campaigns.services.triggers import trigger_run, trigger_set_enabled, triggers_run
from core.models import AuditLogEntry
from tests.campaigns.conftest import consenting_member
from tests.campaigns.factories import VariantFactory
from tests.members.factories import MemberFactory, PurchaseFactory

pytestmark = pytest.mark.django_db


def _trigger(kind, marketer, **fields):
    trigger = Trigger.objects.create(name=kind, trigger=kind, state="paused", **fields)
    VariantFactory(campaign=trigger)
    trigger_set_enabled(trigger=trigger, enabled=True, actor=marketer)
    trigger.refresh_from_db()
    return trigger


def test_birthday_once_per_year_however_often_it_runs(marketer):
    today = timezone.localdate()
    birthday = consenting_member(birth_date=today.replace(year=1992))
    consenting_member(birth_date=(today + datetime.timedelta(days=3)).replace(year=1992))
    trigger = _trigger("birthday", marketer)

    assert trigger_run(trigger=trigger) == 1
    assert trigger_run(trigger=trigger) == 0
    campaign_send(campaign_id=trigger.pk)

    assert [m.to for m in mail.outbox] == [[birthday.email]]
    message = Message.objects.get(campaign=trigger)
    assert message.occasion_key == f"birthday:{today.year}"
    assert AuditLogEntry.objects.filter(action="trigger.on").exists()


def test_welcome_series_steps_go_after_their_delays(marketer):
    now = timezone.now()
    new = consenting_member(joined_at=now - datetime.timedelta(days=3, hours=1))
    consenting_member(joined_at=now - datetime.timedelta(days=400))  # an old member: never
    trigger = Trigger.objects.create(name="Välkommen", trigger="welcome", state="paused")
    VariantFactory(campaign=trigger, name="1", delay_days=0)
    VariantFactory(campaign=trigger, name="2", delay_days=3)
    VariantFactory(campaign=trigger, name="3", delay_days=7)
    trigger_set_enabled(trigger=trigger, enabled=True, actor=marketer)
    trigger.refresh_from_db()

    assert trigger_run(trigger=trigger, now=now) == 2
    steps = sorted(
        Message.objects.filter(campaign=trigger, member=new).values_list("variant__name", flat=True)
    )
    assert steps == ["1", "2"]


def test_win_back_and_first_purchase(marketer):
    now = timezone.now()
    lapsed = consenting_member()
    PurchaseFactory(member=lapsed, purchased_at=now - datetime.timedelta(days=91))
    first = consenting_member()
    PurchaseFactory(member=first, purchased_at=now - datetime.timedelta(days=1))
    win_back = _trigger("win_back", marketer, trigger_days=90)
    first_purchase = _trigger("first_purchase", marketer)

    queued = triggers_run(now=now)

    assert queued[str(win_back.pk)] == 1
    assert Message.objects.get(campaign=win_back).member == lapsed
    assert set(
        Message.objects.filter(campaign=first_purchase).values_list("member", flat=True)
    ) == {first.pk}


def test_a_trigger_without_a_message_cannot_be_switched_on_and_off_sends_nothing(marketer):
    trigger = Trigger.objects.create(name="Tom", trigger="birthday", state="paused")
    with pytest.raises(ValidationError, match="Write the message"):
        trigger_set_enabled(trigger=trigger, enabled=True, actor=marketer)
    MemberFactory(birth_date=timezone.localdate().replace(year=1992))
    VariantFactory(campaign=trigger)
    assert trigger_run(trigger=trigger) == 0  # off
