"""The campaigns admin: who may schedule, the state buttons through the services, bad input
refused, preview as a member, a test sent to oneself, the report and the outbox list."""

from __future__ import annotations

import pytest
from django.core import mail

from campaigns.models import Campaign, Message
from campaigns.services.campaigns import campaign_schedule, campaign_start
from campaigns.services.sending import campaign_send
from core.models import AuditLogEntry
from tests.campaigns.conftest import consenting_member
from tests.campaigns.factories import CampaignFactory, VariantFactory
from tests.members.factories import SegmentFactory, StaffFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def marketer_client(client, marketer, settings):
    settings.STAFF_MFA_REQUIRED = False
    client.force_login(marketer)
    return client


def test_a_marketer_schedules_from_the_change_page_and_it_is_audited(marketer_client):
    consenting_member()
    campaign = CampaignFactory()
    VariantFactory(campaign=campaign)
    page = marketer_client.get(f"/admin/campaigns/campaign/{campaign.pk}/change/")
    assert page.status_code == 200
    assert b"campaign-schedule" in page.content

    response = marketer_client.post(f"/admin/campaigns/campaign/{campaign.pk}/state/schedule/")

    assert response.status_code == 302
    campaign.refresh_from_db()
    assert campaign.state == "scheduled"
    assert AuditLogEntry.objects.filter(action="campaign.schedule").exists()


def test_staff_without_the_role_cannot_schedule(client, settings):
    settings.STAFF_MFA_REQUIRED = False
    from django.contrib.auth.models import Permission

    staff = StaffFactory()
    staff.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_campaign", "change_campaign"])
    )
    client.force_login(staff)
    consenting_member()
    campaign = CampaignFactory()
    VariantFactory(campaign=campaign)
    client.post(f"/admin/campaigns/campaign/{campaign.pk}/state/schedule/")
    campaign.refresh_from_db()
    assert campaign.state == "draft"


def test_an_empty_segment_is_refused_with_a_clear_message(marketer_client):
    campaign = CampaignFactory(
        segment=SegmentFactory(
            rules={
                "op": "and",
                "rules": [{"field": "city", "operator": "eq", "value": "Ingenstans"}],
            }
        )
    )
    VariantFactory(campaign=campaign)
    response = marketer_client.post(
        f"/admin/campaigns/campaign/{campaign.pk}/state/schedule/", follow=True
    )
    assert "has no members" in response.content.decode()
    campaign.refresh_from_db()
    assert campaign.state == "draft"


def test_a_variant_with_an_unknown_field_is_refused_at_save_naming_the_line(marketer_client):
    segment = SegmentFactory()
    data = {
        "name": "Höstkampanj",
        "purpose": "marketing",
        "channel": "email",
        "segment": segment.pk,
        "goal_kind": "purchase",
        "goal_window_days": 7,
        "holdout_share": "0.1",
        "schedule": "now",
        "variants-TOTAL_FORMS": 1,
        "variants-INITIAL_FORMS": 0,
        "variants-MIN_NUM_FORMS": 1,
        "variants-MAX_NUM_FORMS": 1000,
        "variants-0-name": "A",
        "variants-0-share": "1",
        "variants-0-subject_sv": "Hej",
        "variants-0-blocks_sv": '[{"type": "text", "text": "Rad ett\\nHej {{ lösenord }}"}]',
        "variants-0-blocks_en": "[]",
    }
    response = marketer_client.post("/admin/campaigns/campaign/add/", data)
    assert response.status_code == 200
    assert "line 2" in response.content.decode()
    assert not Campaign.objects.exists()


def test_a_sending_campaign_cannot_be_edited(marketer_client, marketer):
    consenting_member()
    campaign = CampaignFactory()
    VariantFactory(campaign=campaign)
    campaign_schedule(campaign=campaign, actor=marketer)
    campaign_start(campaign_id=campaign.pk)
    response = marketer_client.post(
        f"/admin/campaigns/campaign/{campaign.pk}/change/", {"name": "Ändrad"}
    )
    assert response.status_code == 403
    campaign.refresh_from_db()
    assert campaign.name != "Ändrad"


def test_preview_as_a_member_and_a_test_to_oneself(marketer_client, marketer):
    member = consenting_member(first_name="Saga", language="sv")
    campaign = CampaignFactory()
    variant = VariantFactory(campaign=campaign)
    url = f"/admin/campaigns/campaign/{campaign.pk}/preview/"
    page = marketer_client.get(url, {"member": member.number, "variant": variant.pk})
    assert page.status_code == 200
    assert "Vårnyheter för Saga" in page.content.decode()
    raw = marketer_client.get(url + "raw/", {"member": member.number, "variant": variant.pk})
    assert "Hej Saga!" in raw.content.decode()
    assert raw["X-Frame-Options"] == "SAMEORIGIN"

    marketer_client.post(url + f"?variant={variant.pk}", {"variant": variant.pk})

    assert [m.to for m in mail.outbox] == [[marketer.email]]
    assert mail.outbox[0].subject.startswith("[Test] ")
    assert not Message.objects.exists()


def test_report_and_outbox_pages(marketer_client, marketer, django_assert_max_num_queries):
    for _ in range(4):
        consenting_member()
    campaign = CampaignFactory(holdout_share="0.25")
    VariantFactory(campaign=campaign)
    campaign_schedule(campaign=campaign, actor=marketer)
    campaign_start(campaign_id=campaign.pk)
    campaign_send(campaign_id=campaign.pk)
    report = marketer_client.get(f"/admin/campaigns/campaign/{campaign.pk}/report/")
    assert report.status_code == 200
    assert "Holdout" in report.content.decode()
    assert marketer_client.get("/admin/campaigns/campaign/").status_code == 200
    assert marketer_client.get("/admin/campaigns/message/?state__exact=in_doubt").status_code == 200


@pytest.mark.parametrize("view", ["week", "month", "quarter"])
def test_the_calendar_shows_campaigns_and_triggers(marketer_client, view):
    from django.utils import timezone

    from campaigns.models import Trigger

    CampaignFactory(
        name="Planerad",
        state="scheduled",
        schedule="at",
        send_at=timezone.now(),
    )
    Trigger.objects.create(name="Födelsedag", trigger="birthday", state="sending")
    page = marketer_client.get(
        "/admin/campaigns/campaign/calendar/", {"view": view, "date": timezone.localdate()}
    )
    assert page.status_code == 200
    content = page.content.decode()
    assert "Planerad" in content and "Födelsedag" in content


def test_triggers_admin_lists_and_switches(marketer_client):
    from campaigns.models import Trigger

    trigger = Trigger.objects.create(name="Födelsedag", trigger="birthday", state="paused")
    VariantFactory(campaign=trigger)
    assert marketer_client.get("/admin/campaigns/trigger/").status_code == 200
    assert marketer_client.get(f"/admin/campaigns/trigger/{trigger.pk}/change/").status_code == 200
    marketer_client.post(f"/admin/campaigns/trigger/{trigger.pk}/switch/on/")
    trigger.refresh_from_db()
    assert trigger.state == "sending"
