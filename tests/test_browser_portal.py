"""The member's portal in a real browser (issue 11): the home with balance and membership card,
the till card, the phone menu, and no portal page wider than the screen at 390 px or 1280 px.
Needs /usr/bin/chromium; screenshots land in test-artifacts/."""

from __future__ import annotations

import pytest
from django.urls import reverse

from members.services.purchases import purchase_record
from rewards.models import PointsAccount
from rewards.services.ledger import points_award
from rewards.services.redemptions import Delivery, reward_redeem
from tests import test_browser
from tests.members.factories import PASSWORD, MemberFactory, StoreFactory, UserFactory
from tests.rewards.factories import RewardFactory, TierFactory
from tests.test_browser import ARTIFACTS, _assert_page_is_clean

browser_page = test_browser.browser_page  # the shared Chromium fixture

WIDTHS = (390, 1280)


@pytest.fixture
def club_member(db):
    """A member with points, a tier to reach, purchases, rewards and vouchers, one of them a
    product picked up in a store with a long Swedish name."""
    user = UserFactory(first_name="Signe", language="en")
    member = MemberFactory(
        user=user, email=user.email, first_name="Signe", last_name="Lindqvist-Åkerström"
    )
    TierFactory(threshold=0, name_sv="Bas", name_en="Base")
    TierFactory(threshold=10000, name_sv="Guld", name_en="Gold")
    points_award(member=member, points=3880, reason="Välkommen", idempotency_key="w")
    store = StoreFactory(name="Naturskyddsföreningens medlemsbutik")
    for n in range(3):
        purchase_record(
            member=member,
            purchased_at=f"2026-0{n + 3}-05T12:00:00+01:00",
            amount="1299.00",
            currency="SEK",
            channel="store",
            store=store,
            source="pos",
            external_id=f"b{n}",
            lines=[{"product": "Vandringskängor med extra långt namn", "amount": "1299.00"}],
        )
    product = RewardFactory(
        kind="product",
        points_cost=100,
        name_sv="Skänk 50 kr till Naturskyddsföreningen",
        name_en="Give SEK 50 to nature conservation",
    )
    RewardFactory(kind="experience", points_cost=50000, name_en="Cooking class with our chef")
    reward_redeem(
        member=member,
        reward=product,
        idempotency_key="p",
        delivery=Delivery(method="pickup", store=store),
    )
    return member, product


def _log_in(page, live_server, member) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Email", exact=True).fill(member.email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("main").get_by_role("button", name="Sign In").click()
    page.wait_for_url(f"{live_server.url}/")


@pytest.mark.chromium
def test_member_home_shows_balance_and_a_scannable_card(browser_page, live_server, club_member):
    member, _product = club_member
    page = browser_page

    # when the member logs in
    _log_in(page, live_server, member)

    # then the home leads with the club: balance, tier progress and the card's barcode
    assert page.get_by_role("heading", level=1).inner_text() == "Hello, Signe!"
    balance = PointsAccount.objects.get(member=member).balance
    assert page.locator(".points-card__balance").inner_text() == f"{balance:,}\xa0points"
    assert page.locator("#home-tier-progress").is_visible()
    barcode = page.locator(".member-card svg.code--bar")
    box = barcode.bounding_box()
    assert box is not None and box["width"] > 150 and box["height"] > 30
    assert page.locator(".member-card__number").inner_text().split()[-1] == member.number
    _assert_page_is_clean(page)
    page.screenshot(path=ARTIFACTS / "member-home.png", full_page=True)

    # when they open the card for the till
    page.get_by_role("link", name="Show my card at the till").click()
    page.wait_for_url(f"{live_server.url}{reverse('members:card')}")

    # then barcode and QR code are large and on white
    assert page.locator(".till-card svg.code--qr").bounding_box()["width"] >= 200
    assert page.locator(".till-card svg.code--bar").bounding_box()["width"] >= 300
    _assert_page_is_clean(page)
    page.screenshot(path=ARTIFACTS / "member-card.png", full_page=True)


@pytest.mark.chromium
def test_phone_menu_opens_without_script_trouble(browser_page, live_server, club_member):
    member, _product = club_member
    page = browser_page
    _log_in(page, live_server, member)
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server.url}/")

    # the links fold away behind the menu button
    nav = page.locator("#site-nav")
    assert not nav.is_visible()
    page.locator(".site-menu-button").click()
    assert nav.is_visible()
    assert page.get_by_role("link", name="My purchases").is_visible()
    _assert_page_is_clean(page)


def _portal_pages(product) -> list[str]:
    return [
        "/",
        reverse("members:card"),
        reverse("members:purchases"),
        reverse("members:profile"),
        reverse("members:preferences"),
        reverse("members:my-data"),
        reverse("rewards:points"),
        reverse("rewards:earn"),
        reverse("rewards:catalogue"),
        reverse("rewards:detail", args=[product.pk]),
        reverse("rewards:redeem", args=[product.pk]),
        reverse("rewards:vouchers"),
        reverse("rewards:benefits"),
        reverse("rewards:badges"),
        reverse("rewards:leaderboard"),
        reverse("account_email"),
        reverse("account_change_password"),
    ]


@pytest.mark.chromium
@pytest.mark.parametrize("language", ["sv", "en"])
def test_no_portal_page_is_wider_than_the_screen(browser_page, live_server, club_member, language):
    member, product = club_member
    page = browser_page
    _log_in(page, live_server, member)
    if language == "sv":
        page.get_by_role("button", name="Svenska").click()
        page.wait_for_load_state("load")
    too_wide = []
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        for path in _portal_pages(product):
            page.goto(f"{live_server.url}{path}")
            page.wait_for_load_state("load")
            scroll = page.evaluate("() => document.documentElement.scrollWidth")
            if scroll > width:
                too_wide.append(f"{path} at {width}: {scroll}px")
            if path in ("/", reverse("rewards:catalogue"), reverse("rewards:vouchers")):
                name = (path.strip("/").replace("/", "-") or "home") + f"-{language}-{width}"
                page.screenshot(path=ARTIFACTS / f"portal-{name}.png", full_page=True)
    assert too_wide == []
    assert page.problems == []  # type: ignore[attr-defined]


@pytest.mark.chromium
def test_the_card_shows_offline_once_loaded_and_is_forgotten_at_logout(
    browser_page, live_server, club_member
):
    member, _product = club_member
    page = browser_page
    _log_in(page, live_server, member)
    card_url = f"{live_server.url}{reverse('members:card')}"

    # given the member opened their card once, online
    page.goto(card_url)
    page.wait_for_function("() => navigator.serviceWorker && navigator.serviceWorker.controller")
    page.reload()
    page.wait_for_function(
        "async () => (await (await caches.open('lojal-card-v1')).keys()).length >= 3"
    )

    # when the network is gone and they open it again
    page.context.set_offline(True)
    page.goto(card_url)

    # then the card shows, styled, with its codes
    assert page.locator(".till-card svg.code--bar").is_visible()
    assert page.locator(".till-card__number").inner_text() == member.number
    page.context.set_offline(False)

    # when they log out, the kept card is forgotten
    page.goto(f"{live_server.url}/")
    page.get_by_role("button", name="Log out").click()
    page.wait_for_load_state("load")
    page.wait_for_function("async () => !(await caches.has('lojal-card-v1'))")
