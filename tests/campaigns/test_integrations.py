"""What campaigns plugs into: timeline, GDPR export and erasure, segment fields, the
transactional SMS sender, calendar and dashboard."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from campaigns import sms
from campaigns.models import Message, MessageTally
from campaigns.selectors.reports import campaign_report
from campaigns.services.campaigns import campaign_schedule, campaign_start
from campaigns.services.sending import campaign_send
from core.calendar import calendar_entries
from core.messaging import sms_send_transactional
from members.selectors.segments import segment_count
from members.selectors.timeline import member_timeline
from members.services.gdpr import member_erase
from tests.campaigns.conftest import consenting_member
from tests.campaigns.factories import CampaignFactory, VariantFactory
from tests.members.factories import MemberFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def sent_campaign(marketer):
    members = [consenting_member() for _ in range(3)]
    campaign = CampaignFactory(name="Julkampanj")
    VariantFactory(campaign=campaign)
    campaign_schedule(campaign=campaign, actor=marketer)
    campaign_start(campaign_id=campaign.pk)
    campaign_send(campaign_id=campaign.pk)
    Message.objects.filter(member=members[0]).update(opened_at=timezone.now())
    return campaign, members


def test_timeline_export_and_segment_fields(sent_campaign):
    _campaign, members = sent_campaign
    entries = [e for e in member_timeline(member=members[0]) if e.kind == "campaign"]
    assert entries and "Julkampanj" in str(entries[0].title)
    assert (
        segment_count(
            rules={
                "op": "and",
                "rules": [
                    {
                        "field": "campaign_opened",
                        "operator": "gte",
                        "value": 1,
                        "params": {"days": 30},
                    }
                ],
            }
        )
        == 1
    )
    assert (
        segment_count(
            rules={
                "op": "and",
                "rules": [{"field": "campaign_received", "operator": "gte", "value": 1}],
            }
        )
        == 3
    )


def test_erasure_deletes_messages_and_keeps_the_counts(sent_campaign, marketer):
    campaign, members = sent_campaign
    before = {r.label: (r.targeted, r.sent) for r in campaign_report(campaign=campaign)}
    member_erase(member=members[0], actor=marketer)
    assert not Message.objects.filter(member=members[0]).exists()
    assert MessageTally.objects.filter(campaign=campaign).count() == 1
    after = {r.label: (r.targeted, r.sent) for r in campaign_report(campaign=campaign)}
    assert after == before


def test_transactional_sms_is_consent_checked_and_sent_once_per_key(settings):
    member = consenting_member(purposes=("sms",))
    without = MemberFactory()
    assert sms_send_transactional(member_id=member.pk, text="Din plats är klar", key="ev:1")
    assert not sms_send_transactional(member_id=member.pk, text="Din plats är klar", key="ev:1")
    assert not sms_send_transactional(member_id=without.pk, text="Hej", key="ev:1")
    campaign_id = Message.objects.get(occasion_key="ev:1").campaign_id
    campaign_send(campaign_id=campaign_id)
    assert [m.body for m in sms.outbox] == ["Din plats är klar"]


def test_calendar_lists_planned_and_sent_campaigns(sent_campaign, marketer):
    _campaign, _members = sent_campaign
    now = timezone.now()
    entries = calendar_entries(
        start=now - datetime.timedelta(days=1), end=now + datetime.timedelta(days=1), user=marketer
    )
    assert any(e.title == "Julkampanj" for e in entries)


def test_dashboard_tiles_and_the_unsubscribed_segment_field(sent_campaign, rf, marketer):
    from core.dashboard import Period, dashboard_tiles
    from members.services.consent import consent_set

    _campaign, members = sent_campaign
    consent_set(member=members[1], purpose="email", granted=False, source="unsubscribe")
    Message.objects.filter(member=members[2]).update(state="in_doubt")
    now = timezone.now()
    period = Period(start=now - datetime.timedelta(days=30), end=now, key="30d", label="30")
    request = rf.get("/admin/")
    request.user = marketer
    tiles = {
        t.key: t.data(request, period) for t in dashboard_tiles() if t.group == "communication"
    }
    results = {str(f["label"]): f["value"] for f in tiles["campaigns-results"]["figures"]}
    assert results["Messages sent"] == 2 and results["Opened"] == 1
    sending = {str(f["label"]): f["value"] for f in tiles["campaigns-sending"]["figures"]}
    assert sending["Messages in doubt"] == 1
    rules = {
        "op": "and",
        "rules": [{"field": "campaign_unsubscribed", "operator": "is", "value": True}],
    }
    assert segment_count(rules=rules) == 1
