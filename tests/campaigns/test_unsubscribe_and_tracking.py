"""One-click unsubscribe (RFC 8058), the open pixel and the click redirect, through the client."""

from __future__ import annotations

import pytest
from django.core import mail
from django.test import Client

from campaigns.models import Message
from campaigns.services import links
from campaigns.services.campaigns import campaign_schedule, campaign_start
from campaigns.services.sending import campaign_send
from members.models import ConsentEvent
from members.selectors.consent import consent_current
from tests.campaigns.conftest import consenting_member
from tests.campaigns.factories import CampaignFactory, VariantFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def sent(marketer):
    member = consenting_member(language="sv")
    campaign = CampaignFactory()
    VariantFactory(campaign=campaign)
    campaign_schedule(campaign=campaign, actor=marketer)
    campaign_start(campaign_id=campaign.pk)
    campaign_send(campaign_id=campaign.pk)
    message = Message.objects.get(campaign=campaign, member=member)
    return member, message, mail.outbox[0]


def _path(url: str) -> str:
    return url.removeprefix("https://club.example.se").strip("<>")


def test_one_click_unsubscribe_withdraws_consent_once_and_refuses_a_tampered_token(sent):
    member, message, email = sent
    url = _path(email.extra_headers["List-Unsubscribe"])
    client = Client(enforce_csrf_checks=True)

    # a GET shows a confirmation and changes nothing
    page = client.get(url)
    assert page.status_code == 200
    assert consent_current(member=member)["email"] is True

    # the first POST (no cookie, no CSRF token) withdraws, answered without a redirect
    first = client.post(url, {"List-Unsubscribe": "One-Click"})
    assert first.status_code == 200
    assert consent_current(member=member)["email"] is False
    event = ConsentEvent.objects.filter(member=member).first()
    assert (event.granted, event.source) == (False, "unsubscribe")
    message.refresh_from_db()
    assert message.unsubscribed_at is not None

    # the second says it is already done and writes nothing
    second = client.post(url, {"List-Unsubscribe": "One-Click"})
    assert second.status_code == 200
    assert "redan" in second.content.decode()
    assert ConsentEvent.objects.filter(member=member, granted=False).count() == 1

    # a tampered token is refused
    tampered = url[:-3] + ("A" if url[-3] != "A" else "B") + url[-2:]
    assert client.post(tampered).status_code == 400


def test_a_forged_member_in_a_token_is_refused(sent):
    member, _message, _email = sent
    token = links.unsubscribe_token(member_id=member.pk, channel="email", message_id=None)
    _payload, _sep, signature = token.rpartition(":")
    other = links.unsubscribe_token(member_id=member.pk + 1, channel="email", message_id=None)
    forged = other.rpartition(":")[0] + ":" + signature
    assert Client().post(f"/m/u/{forged}/").status_code == 400
    assert consent_current(member=member)["email"] is True


def test_opens_and_clicks_are_recorded_and_only_lead_to_the_message_links(sent):
    _member, message, email = sent
    html = email.alternatives[0][0]
    open_path = _path(html.split('<img src="')[-1].split('"')[0])
    click_path = _path(html.split('href="https://club.example.se/m/c/')[1].split('"')[0])
    client = Client()

    assert client.get(open_path).status_code == 200
    response = client.get("/m/c/" + click_path)
    assert response.status_code == 302
    assert response["Location"] == "https://shop.example.se/v%C3%A5r"
    message.refresh_from_db()
    assert message.opened_at and message.clicked_at

    # an index that is not a link of the message, or a forged token: 404
    assert client.get(links.click_url(message_id=message.pk, index=7)[25:]).status_code == 404
    assert client.get("/m/c/not-a-token/").status_code == 404
