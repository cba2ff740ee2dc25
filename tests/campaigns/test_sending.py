"""The outbox and the sending rules, through the services, with Django's locmem e-mail backend."""

from __future__ import annotations

import datetime
from collections import Counter
from decimal import Decimal

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from campaigns import sms
from campaigns.models import Bounce, Campaign, Message
from campaigns.services.campaigns import (
    campaign_cancel,
    campaign_pause,
    campaign_resume,
    campaign_schedule,
    campaign_start,
)
from campaigns.services.outbox import messages_claim, messages_recover, owner_new
from campaigns.services.sending import campaign_send
from core.models import AuditLogEntry
from tests.campaigns.conftest import consenting_member
from tests.campaigns.factories import CampaignFactory, VariantFactory
from tests.members.factories import MemberFactory, StaffFactory

pytestmark = pytest.mark.django_db


def _started(campaign, marketer, now=None):
    campaign_schedule(campaign=campaign, actor=marketer, now=now)
    assert campaign_start(campaign_id=campaign.pk, now=now)
    campaign.refresh_from_db()
    return campaign


def test_a_campaign_sends_one_email_per_eligible_member_and_records_every_skip(marketer):
    # given members with and without consent, one paused, one over the cap, one bounced
    ok = [consenting_member(language="sv") for _ in range(3)]
    english = consenting_member(language="en", first_name="Kim")
    no_consent = MemberFactory()
    paused = consenting_member(status="paused")
    bounced = consenting_member()
    Bounce.objects.create(address=bounced.email)
    capped = consenting_member()
    earlier = CampaignFactory()
    VariantFactory(campaign=earlier)
    for _ in range(3):
        other = CampaignFactory(state="sent")
        Message.objects.create(
            campaign=other, member=capped, channel="email", state="sent", sent_at=timezone.now()
        )
    campaign = CampaignFactory()
    VariantFactory(campaign=campaign)

    # when it is scheduled, started and sent
    campaign = _started(campaign, marketer)
    result = campaign_send(campaign_id=campaign.pk)

    # then exactly the eligible members got one e-mail each, in their language
    recipients = sorted(m.to[0] for m in mail.outbox)
    assert recipients == sorted(m.email for m in [*ok, english])
    assert result.outcomes["sent"] == 4
    by_member = {m.member_id: m for m in Message.objects.filter(campaign=campaign)}
    assert by_member[no_consent.pk].skip_reason == "no_consent"
    assert by_member[paused.pk].skip_reason == "paused"
    assert by_member[bounced.pk].skip_reason == "hard_bounce"
    assert by_member[capped.pk].skip_reason == "frequency_cap"
    assert all(m.state in ("sent", "skipped") for m in by_member.values())
    english_mail = next(m for m in mail.outbox if m.to == [english.email])
    assert english_mail.subject == "Spring news for Kim"
    html = english_mail.alternatives[0][0]
    assert "https://club.example.se/m/c/" in html and "spring" not in html  # tracked link only
    assert english_mail.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert english_mail.extra_headers["List-Unsubscribe"].startswith(
        "<https://club.example.se/m/u/"
    )
    assert "Unsubscribe: https://club.example.se/m/u/" in english_mail.body
    campaign.refresh_from_db()
    assert campaign.state == "sent" and campaign.targeted_count == 8


def test_running_the_send_again_sends_nothing_twice(marketer):
    for _ in range(5):
        consenting_member()
    campaign = CampaignFactory()
    VariantFactory(campaign=campaign)
    campaign = _started(campaign, marketer)
    campaign_send(campaign_id=campaign.pk)
    Campaign.objects.filter(pk=campaign.pk).update(state="sending")

    again = campaign_send(campaign_id=campaign.pk)

    assert len(mail.outbox) == 5
    assert sum(again.outcomes.values()) == 0


def test_the_outbox_is_unique_per_member_campaign_and_channel(marketer):
    member = consenting_member()
    campaign = CampaignFactory()
    VariantFactory(campaign=campaign)
    campaign = _started(campaign, marketer)
    with pytest.raises(IntegrityError), transaction.atomic():
        Message.objects.create(campaign=campaign, member=member, channel="email")
    # triggers: once per occasion, by key
    Message.objects.create(campaign=campaign, member=member, channel="email", occasion_key="b:1")
    with pytest.raises(IntegrityError), transaction.atomic():
        Message.objects.create(
            campaign=campaign, member=member, channel="email", occasion_key="b:1"
        )


def test_holdout_and_variants_split_by_fixed_shares(marketer):
    MemberFactory.create_batch(200)
    campaign = CampaignFactory(holdout_share=Decimal("0.1"))
    a = VariantFactory(campaign=campaign, name="A", share=Decimal("0.5"))
    b = VariantFactory(campaign=campaign, name="B", share=Decimal("0.5"))
    campaign = _started(campaign, marketer)

    rows = Counter(
        ("holdout" if m.is_holdout else m.variant_id)
        for m in Message.objects.filter(campaign=campaign)
    )
    assert rows["holdout"] == 20
    assert rows[a.pk] == 90 and rows[b.pk] == 90
    assert (
        not Message.objects.filter(campaign=campaign, is_holdout=True)
        .exclude(state="skipped", skip_reason="holdout")
        .exists()
    )


def test_a_killed_worker_leaves_only_the_message_in_hand_in_doubt(marketer):
    for _ in range(6):
        consenting_member()
    campaign = CampaignFactory()
    VariantFactory(campaign=campaign)
    campaign = _started(campaign, marketer)
    # given a worker (a dead owner: no advisory lock held) that claimed 4 and was handing one over
    dead = owner_new()
    ids = messages_claim(campaign_id=campaign.pk, owner=dead, batch=4, now=timezone.now())
    Message.objects.filter(pk=ids[0]).update(state="sending")
    Message.objects.filter(pk__in=ids).update(
        claimed_at=timezone.now() - datetime.timedelta(hours=1)
    )

    # when recovery runs
    requeued, in_doubt = messages_recover()

    # then the three never handed over are queued again, the one in hand is in doubt
    assert (requeued, in_doubt) == (3, 1)
    campaign_send(campaign_id=campaign.pk)
    assert len(mail.outbox) == 5
    assert Message.objects.get(pk=ids[0]).state == "in_doubt"


def test_scheduling_needs_the_permission_and_is_audited(marketer):
    consenting_member()
    campaign = CampaignFactory()
    VariantFactory(campaign=campaign)
    with pytest.raises(PermissionDenied):
        campaign_schedule(campaign=campaign, actor=StaffFactory())
    campaign_schedule(campaign=campaign, actor=marketer)
    assert AuditLogEntry.objects.filter(action="campaign.schedule").count() == 1


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"segment": None}, "segment"),
        ({"schedule": "at", "past": True}, "has passed"),
    ],
)
def test_bad_campaigns_are_refused_clearly(marketer, change, message):
    consenting_member()
    campaign = CampaignFactory()
    VariantFactory(campaign=campaign)
    if change.get("past"):
        campaign.schedule = "at"
        campaign.send_at = timezone.now() - datetime.timedelta(hours=1)
    else:
        campaign.segment = None
    campaign.save()
    with pytest.raises(ValidationError, match=message):
        campaign_schedule(campaign=campaign, actor=marketer)


def test_an_empty_segment_is_refused(marketer):
    campaign = CampaignFactory()
    VariantFactory(campaign=campaign)
    with pytest.raises(ValidationError, match="no members"):
        campaign_schedule(campaign=campaign, actor=marketer)


def test_pause_resume_and_cancel(marketer):
    for _ in range(3):
        consenting_member()
    campaign = CampaignFactory()
    VariantFactory(campaign=campaign)
    campaign = _started(campaign, marketer)
    campaign_pause(campaign=campaign, actor=marketer)
    assert sum(campaign_send(campaign_id=campaign.pk).outcomes.values()) == 0
    campaign_resume(campaign=campaign, actor=marketer)
    campaign_cancel(campaign=campaign, actor=marketer)
    assert set(Message.objects.filter(campaign=campaign).values_list("skip_reason", flat=True)) == {
        "cancelled"
    }
    actions = set(AuditLogEntry.objects.values_list("action", flat=True))
    assert {"campaign.pause", "campaign.resume", "campaign.cancel"} <= actions


def test_sms_waits_for_the_end_of_quiet_hours_and_ends_with_how_to_stop(marketer):
    consenting_member(purposes=("sms",), language="sv")
    campaign = CampaignFactory(channel="sms")
    VariantFactory(campaign=campaign)
    evening = datetime.datetime(2026, 3, 2, 21, 30, tzinfo=datetime.UTC)  # 22:30 in Stockholm
    campaign_schedule(campaign=campaign, actor=marketer, now=evening)
    campaign_start(campaign_id=campaign.pk, now=evening)

    result = campaign_send(campaign_id=campaign.pk, now=evening)
    assert sms.outbox == []
    assert result.deferred_until is not None and result.deferred_until.hour == 9

    morning = datetime.datetime(2026, 3, 3, 8, 5, tzinfo=datetime.UTC)  # 09:05 in Stockholm
    campaign_send(campaign_id=campaign.pk, now=morning)
    assert len(sms.outbox) == 1
    assert sms.outbox[0].body.endswith("Svara STOP för att avregistrera dig")


def test_a_campaign_pauses_itself_above_the_error_rate(marketer, settings):
    settings.CAMPAIGNS_PAUSE_MIN_MESSAGES = 2
    settings.EMAIL_BACKEND = "tests.campaigns.backends.RefusingBackend"
    for _ in range(4):
        consenting_member()
    campaign = CampaignFactory()
    VariantFactory(campaign=campaign)
    campaign = _started(campaign, marketer)
    settings.CAMPAIGNS_SEND_BATCH = 2

    result = campaign_send(campaign_id=campaign.pk)

    campaign.refresh_from_db()
    assert result.paused and campaign.state == "paused"
    assert Message.objects.filter(campaign=campaign, state="failed").count() == 2
    assert Message.objects.filter(campaign=campaign, state="queued").count() == 2


def test_test_mode_sends_the_variants_to_a_share_then_the_winner_to_the_rest(marketer):
    from campaigns.services.abtest import campaign_test_decide

    MemberFactory.create_batch(100)
    campaign = CampaignFactory(
        holdout_share=Decimal("0.1"), test_share=Decimal("0.2"), test_hours=4, test_metric="clicks"
    )
    a = VariantFactory(campaign=campaign, name="A", share=Decimal("0.5"))
    b = VariantFactory(campaign=campaign, name="B", share=Decimal("0.5"))
    start = timezone.now()
    campaign_schedule(campaign=campaign, actor=marketer, now=start)
    campaign_start(campaign_id=campaign.pk, now=start)
    states = Counter(Message.objects.filter(campaign=campaign).values_list("state", "variant_id"))
    assert states[("skipped", None)] == 10
    assert states[("queued", a.pk)] == 9 and states[("queued", b.pk)] == 9
    assert states[("held", None)] == 72
    # B's recipients click
    Message.objects.filter(campaign=campaign, variant=b).update(
        state="sent", sent_at=start, clicked_at=start
    )
    Message.objects.filter(campaign=campaign, variant=a).update(state="sent", sent_at=start)

    assert not campaign_test_decide(campaign_id=campaign.pk, now=start)  # too early
    later = start + datetime.timedelta(hours=4)
    assert campaign_test_decide(campaign_id=campaign.pk, now=later)
    assert not campaign_test_decide(campaign_id=campaign.pk, now=later)  # once

    campaign.refresh_from_db()
    assert campaign.winner == b
    assert Message.objects.filter(campaign=campaign, state="held").count() == 0
    assert Message.objects.filter(campaign=campaign, state="queued", variant=b).count() == 72
    # nobody in a test variant or the holdout is given the winner as well
    assert Message.objects.filter(campaign=campaign).count() == 100


def test_a_hard_bounce_stops_further_email_and_receipts_are_idempotent(marketer):
    from campaigns.services.receipts import bounce_record, message_delivered

    member = consenting_member()
    assert bounce_record(address=member.email.upper(), reason="550 no such user")
    assert not bounce_record(address=member.email)
    campaign = CampaignFactory()
    VariantFactory(campaign=campaign)
    campaign = _started(campaign, marketer)
    campaign_send(campaign_id=campaign.pk)
    assert Message.objects.get(member=member).skip_reason == "hard_bounce"
    other = consenting_member()
    Message.objects.create(
        campaign=CampaignFactory(), member=other, channel="email", state="sent", provider_id="p-1"
    )
    assert message_delivered(provider_id="p-1")
    assert not message_delivered(provider_id="p-1")  # a replay changes nothing


def test_a_stop_reply_withdraws_sms_consent_once():
    from campaigns.services.receipts import sms_stop_record
    from members.selectors.consent import consent_current

    member = consenting_member(purposes=("sms",), phone="+46701112233")
    assert sms_stop_record(phone="+46701112233") == 1
    assert sms_stop_record(phone="+46701112233") == 0
    assert consent_current(member=member)["sms"] is False
