"""The unsubscribe pages in a real browser at phone and desktop widths: styled under the strict
CSP, the confirmation changes nothing, the button unsubscribes. Screenshots in /tmp/campaigns/."""

from __future__ import annotations

from pathlib import Path

import pytest

from campaigns.services import links
from members.selectors.consent import consent_current
from tests.campaigns.conftest import consenting_member
from tests.test_browser import _assert_page_is_clean, browser_page  # noqa: F401 - the fixture

SHOTS = Path("/tmp/campaigns")  # noqa: S108 - where the brief asks for the screenshots


@pytest.mark.chromium
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("width", [390, 1280])
def test_unsubscribe_confirm_and_done_pages(browser_page, live_server, width):  # noqa: F811
    SHOTS.mkdir(exist_ok=True)
    member = consenting_member(language="sv")
    url = links.unsubscribe_url(member_id=member.pk, channel="email", message_id=None)
    path = url.split("/m/u/", 1)[1]
    page = browser_page
    page.set_viewport_size({"width": width, "height": 800})

    page.goto(f"{live_server.url}/m/u/{path}")
    _assert_page_is_clean(page)
    page.screenshot(path=SHOTS / f"unsubscribe-confirm-{width}.png", full_page=True)
    assert consent_current(member=member)["email"] is True

    page.get_by_role("button", name="Ja, avregistrera mig").click()
    page.wait_for_load_state("load")
    assert page.get_by_role("heading", level=1).inner_text() == "Du är avregistrerad"
    _assert_page_is_clean(page)
    page.screenshot(path=SHOTS / f"unsubscribe-done-{width}.png", full_page=True)
    assert consent_current(member=member)["email"] is False


@pytest.mark.chromium
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("width", [390, 1280])
def test_staff_pages_report_calendar_and_preview(
    browser_page,  # noqa: F811
    live_server,
    client,
    settings,
    width,
):
    from django.contrib.auth.models import Group

    from campaigns.services.campaigns import campaign_schedule, campaign_start
    from campaigns.services.sending import campaign_send
    from members.roles import MARKETER
    from tests.campaigns.factories import CampaignFactory, VariantFactory
    from tests.members.factories import StaffFactory

    settings.STAFF_MFA_REQUIRED = False
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    SHOTS.mkdir(exist_ok=True)
    marketer = StaffFactory()
    marketer.groups.add(Group.objects.get(name=MARKETER))
    for _ in range(8):
        consenting_member()
    campaign = CampaignFactory(name="Vårkampanj", holdout_share="0.25")
    VariantFactory(campaign=campaign, name="A", share="0.5")
    VariantFactory(campaign=campaign, name="B", share="0.5")
    campaign_schedule(campaign=campaign, actor=marketer)
    campaign_start(campaign_id=campaign.pk)
    campaign_send(campaign_id=campaign.pk)
    client.force_login(marketer)
    page = browser_page
    page.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )
    page.set_viewport_size({"width": width, "height": 900})
    for name, path in [
        ("report", f"/admin/campaigns/campaign/{campaign.pk}/report/"),
        ("calendar", "/admin/campaigns/campaign/calendar/?view=month"),
        (
            "preview",
            f"/admin/campaigns/campaign/{campaign.pk}/preview/?variant="
            f"{campaign.variants.first().pk}",
        ),
        ("change", f"/admin/campaigns/campaign/{campaign.pk}/change/"),
    ]:
        response = page.goto(f"{live_server.url}{path}")
        assert response.status == 200, path
        page.wait_for_load_state("load")
        page.screenshot(path=SHOTS / f"admin-{name}-{width}.png", full_page=True)
    # Only the missing favicon may fail; nothing is blocked by the CSP.
    assert [p for p in page.problems if "404" not in p] == []
