"""The back office in a real browser (headless Chromium): the till flow on a phone and a desk,
the dashboard's charts, and no admin page wider than the window; no console error or CSP
violation anywhere. Screenshots land in test-artifacts/backoffice-*.png."""

from __future__ import annotations

import datetime

import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.conf import settings
from django.contrib.auth.models import Group
from django.test import Client
from django.utils import timezone

from members.roles import CLUB_ADMIN, STORE_STAFF
from rewards.models import Redemption
from rewards.services.ledger import points_award
from rewards.services.redemptions import reward_redeem
from tests.members.factories import MemberFactory, PurchaseFactory, StaffFactory, StoreFactory
from tests.rewards.factories import RewardFactory, TierFactory
from tests.test_browser import ARTIFACTS, browser_page  # noqa: F401  (fixture)

pytestmark = [pytest.mark.chromium, pytest.mark.django_db(transaction=True)]


def _log_in(page, live_server, role: str, language: str = "en"):
    user = StaffFactory(language=language)
    user.groups.add(Group.objects.get(name=role))
    TOTP.activate(user, generate_totp_secret())
    client = Client()
    client.force_login(user)
    page.context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            },
            {"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": live_server.url},
        ]
    )
    return user


def _clean(page) -> None:
    page.wait_for_load_state("load")
    page.evaluate("() => new Promise((resolve) => setTimeout(resolve, 100))")  # late reports
    assert page.problems == []


def _fits(page) -> None:
    width = page.evaluate("() => document.documentElement.scrollWidth")
    viewport = page.evaluate("() => window.innerWidth")
    assert width <= viewport, f"{page.url}: {width} px wide in a {viewport} px window"


def _club():
    now = timezone.now()
    tier = TierFactory(name_sv="Guld", name_en="Gold", threshold=0)
    store = StoreFactory(code="sthlm", name="Stockholm City")
    reward = RewardFactory(points_cost=100, name_sv="Kaffe och bulle", name_en="Coffee and a bun")
    members = []
    for index in range(6):
        member = MemberFactory(phone=f"+4670817681{index}")
        for week in range(4):
            PurchaseFactory(
                member=member,
                purchased_at=now - datetime.timedelta(days=7 * week + index),
                channel="store" if week % 2 else "online",
                store=store if week % 2 else None,
            )
        points_award(
            member=member, points=400 + 50 * index, reason="x", idempotency_key=f"s{index}"
        )
        reward_redeem(member=member, reward=reward, idempotency_key=f"r{index}")
        members.append(member)
    return tier, store, members


def test_store_staff_find_a_member_by_a_spaced_phone_and_use_a_voucher(browser_page, live_server):  # noqa: F811
    # given a member with a voucher, and store staff on a phone-sized screen
    _tier, store, members = _club()
    member = members[0]
    voucher = Redemption.objects.get(member=member)
    page = browser_page
    page.set_viewport_size({"width": 390, "height": 844})
    _log_in(page, live_server, STORE_STAFF)

    # when they open the back office they land on the till, and choose their store
    page.goto(f"{live_server.url}/admin/")
    page.wait_for_url(f"{live_server.url}/admin/till/")
    page.select_option("#id_store", str(store.pk))
    page.get_by_role("button", name="Save").click()
    page.wait_for_load_state("load")

    # and type the phone number as the customer says it
    page.fill("#till-q", "070-817 68 10")
    page.get_by_role("button", name="Find member").click()
    page.wait_for_load_state("load")

    # then the member is shown with their balance and the voucher
    assert page.get_by_role("heading", name=member.full_name).is_visible()
    assert page.get_by_text(voucher.voucher_code).is_visible()
    _clean(page)
    _fits(page)
    page.screenshot(path=ARTIFACTS / "backoffice-till-390.png", full_page=True)

    # when they mark the voucher used with one click
    page.get_by_role("button", name="Mark as used").click()
    page.wait_for_load_state("load")

    # then it is used, in their store, and gone from the list
    voucher.refresh_from_db()
    assert voucher.status == Redemption.Status.FULFILLED and voucher.used_in_store == store
    assert page.get_by_text("is now used").is_visible()
    assert page.get_by_text("No vouchers to use.").is_visible()
    _clean(page)
    _fits(page)

    # and at a desk the same page fits too
    page.set_viewport_size({"width": 1280, "height": 900})
    page.fill("#till-q", "+46 70 817 68 11")
    page.get_by_role("button", name="Find member").click()
    page.wait_for_load_state("load")
    _clean(page)
    _fits(page)
    page.screenshot(path=ARTIFACTS / "backoffice-till-1280.png", full_page=True)


@pytest.mark.parametrize("language", ["en", "sv"])
def test_dashboard_draws_its_charts_cleanly(browser_page, live_server, language):  # noqa: F811
    _club()
    page = browser_page
    _log_in(page, live_server, CLUB_ADMIN, language)
    page.goto(f"{live_server.url}/admin/?period=30d")
    assert page.locator(".dashboard-tile").count() >= 7
    assert page.locator(".dashboard-tile svg.chart").count() >= 4
    assert page.locator("svg.chart rect, svg.chart polyline").count() > 10
    _clean(page)
    _fits(page)
    page.screenshot(path=ARTIFACTS / f"backoffice-dashboard-{language}.png", full_page=True)
    # a figure leads to the list behind it
    page.locator("#tile-members .dashboard-figure a").first.click()
    page.wait_for_load_state("load")
    assert "/admin/members/member/" in page.url
    _clean(page)


ADMIN_PAGES = [
    "/admin/",
    "/admin/till/",
    "/admin/members/member/",
    "/admin/members/purchase/",
    "/admin/members/memberscore/",
    "/admin/members/segment/",
    "/admin/members/consentevent/",
    "/admin/members/memberimport/",
    "/admin/rewards/pointsaccount/",
    "/admin/rewards/pointsaccount/report/",
    "/admin/rewards/pointsentry/",
    "/admin/rewards/redemption/",
    "/admin/rewards/reward/",
    "/admin/rewards/reward/add/",
    "/admin/rewards/tier/",
    "/admin/rewards/badge/",
    "/admin/core/auditlogentry/",
    "/admin/rewards/bulkadjustment/",
    "/admin/members/memberimport/add/",
    "/admin/core/outgoingemail/",
]


def test_no_admin_page_is_wider_than_the_window(browser_page, live_server):  # noqa: F811
    _tier, _store, members = _club()
    page = browser_page
    _log_in(page, live_server, CLUB_ADMIN, "sv")
    redemption = Redemption.objects.first()
    pages = [
        *ADMIN_PAGES,
        f"/admin/members/member/{members[0].pk}/360/",
        f"/admin/members/member/{members[0].pk}/change/",
        f"/admin/rewards/redemption/{redemption.pk}/change/",
    ]
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 900})
        for path in pages:
            page.goto(f"{live_server.url}{path}")
            _clean(page)
            _fits(page)
            if width == 1280 and path.endswith("/360/"):
                page.screenshot(path=ARTIFACTS / "backoffice-member360.png", full_page=True)
