"""The member's portal (issue 11): the home's rewards cards, a reward's page, the redeem flow of a
physical reward, vouchers that say what happens next, and how to earn points."""

import datetime
import re
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from core.models import OutgoingEmail
from members.services.purchases import purchase_record
from rewards.models import PointsEntry, Redemption
from rewards.services.ledger import points_award
from rewards.services.redemptions import Delivery, reward_redeem
from tests.members.factories import MemberFactory, StoreFactory, UserFactory

from .factories import EarningRuleFactory, RewardFactory, TierFactory
from .factories_earning import ActivityRuleFactory, BonusPeriodFactory
from .factories_gamification import ChallengeFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def member(user):
    member = MemberFactory(
        user=user,
        email=user.email,
        first_name="Maja",
        last_name="Berg",
        postcode="111 22",
        city="Stockholm",
    )
    points_award(member=member, points=3880, reason="Welcome", idempotency_key=f"w{member.pk}")
    return member


@pytest.fixture
def logged_in(client, user, member):
    client.force_login(user)
    return client


def test_home_leads_with_points_tier_card_voucher_rewards_and_challenges(logged_in, member):
    # given tiers, a reward the member can afford, one they cannot, a voucher and a challenge
    TierFactory(threshold=0, name_en="Base")
    TierFactory(threshold=10000, name_en="Silver")
    RewardFactory(points_cost=1000, name_en="Cinema for two")
    RewardFactory(points_cost=99999, name_en="A car")
    voucher = RewardFactory(points_cost=100, name_en="Coffee", kind="voucher")
    redemption = reward_redeem(member=member, reward=voucher, idempotency_key="v1")
    ChallengeFactory(name_en="Shop twice this month")

    # when they open the home page
    page = logged_in.get("/").content.decode()

    # then it leads with their club: card, balance, tier progress, voucher, rewards, challenges
    assert "Hello, Maja!" in page
    assert member.number in page and 'class="code code--bar"' in page
    assert "3,780\xa0points" in page
    assert "more to Silver" in page and "<progress" in page
    assert redemption.voucher_code in page
    assert "Cinema for two" in page and "A car" not in page
    assert "Shop twice this month" in page
    assert "<script>" not in page and 'style="' not in page


def test_home_costs_a_constant_number_of_queries(logged_in, member, django_assert_max_num_queries):
    for n in range(5):
        RewardFactory(points_cost=100 + n)
    with django_assert_max_num_queries(40):
        assert logged_in.get("/").status_code == 200


def test_reward_detail_shows_picture_cost_and_the_way_to_choose_it(logged_in):
    reward = RewardFactory(points_cost=1000, name_en="Cinema for two", kind="partner")
    dear = RewardFactory(points_cost=5000, name_en="Weekend away")

    page = logged_in.get(reverse("rewards:detail", args=[reward.pk])).content.decode()
    assert "Cinema for two" in page and 'class="reward-art"' in page
    assert reverse("rewards:redeem", args=[reward.pk]) in page

    short = logged_in.get(reverse("rewards:detail", args=[dear.pk])).content.decode()
    assert "You need 1,120\xa0points more" in short
    assert reverse("rewards:redeem", args=[dear.pk]) not in short


def test_a_reward_for_another_tier_has_no_page(logged_in):
    gold = TierFactory(threshold=50000)
    reward = RewardFactory(points_cost=10)
    reward.tiers.add(gold)
    assert logged_in.get(reverse("rewards:detail", args=[reward.pk])).status_code == 404


def test_redeem_page_of_a_physical_reward_asks_how_with_the_profile_pre_filled(logged_in):
    reward = RewardFactory(points_cost=100, kind="product")
    StoreFactory(name="Butiken Malmö")

    page = logged_in.get(reverse("rewards:redeem", args=[reward.pk])).content.decode()

    assert "How do you want to get it?" in page
    assert 'value="Maja Berg"' in page and 'value="111 22"' in page
    assert 'value="Stockholm"' in page and "Butiken Malmö" in page


@pytest.mark.usefixtures("redeem_path")
def test_redeeming_a_physical_reward_without_an_address_says_so_and_writes_nothing(
    logged_in, member
):
    # given a product the member can afford
    reward = RewardFactory(points_cost=100, kind="product", stock=2)
    entries, mails = PointsEntry.objects.count(), OutgoingEmail.objects.count()

    # when they confirm with "by post" and no street address
    response = logged_in.post(
        reverse("rewards:redeem", args=[reward.pk]),
        {
            "key": "k1",
            "delivery": "post",
            "delivery_name": "Maja Berg",
            "delivery_address": "",
            "delivery_postcode": "111 22",
            "delivery_city": "Stockholm",
        },
    )

    # then the page says what is missing and nothing is written
    assert response.status_code == 200
    assert "Please give the whole delivery address" in response.content.decode()
    assert Redemption.objects.count() == 0
    assert PointsEntry.objects.count() == entries and OutgoingEmail.objects.count() == mails
    reward.refresh_from_db()
    assert reward.stock == 2


@pytest.mark.usefixtures("redeem_path")
def test_redeeming_a_physical_reward_for_pickup_and_the_voucher_list_says_what_next(
    logged_in, member
):
    reward = RewardFactory(points_cost=100, kind="product", name_en="Thermos")
    store = StoreFactory(name="Butiken Malmö")

    response = logged_in.post(
        reverse("rewards:redeem", args=[reward.pk]),
        {"key": "k2", "delivery": "pickup", "pickup_store": store.pk},
    )

    assert response.status_code == 302
    redemption = Redemption.objects.get()
    assert (redemption.delivery, redemption.pickup_store_id) == ("pickup", store.pk)
    page = logged_in.get(reverse("rewards:vouchers")).content.decode()
    assert "Pick it up at Butiken Malmö" in page
    assert redemption.voucher_code in page and 'class="code code--bar"' in page


def test_the_voucher_list_says_what_happens_next_for_post_and_vouchers(logged_in, member):
    product = RewardFactory(points_cost=100, kind="product")
    voucher = RewardFactory(points_cost=100, kind="voucher")
    reward_redeem(
        member=member,
        reward=product,
        idempotency_key="p",
        delivery=Delivery(
            method="post", name="Maja", address="Storgatan 1", postcode="111 22", city="Sthlm"
        ),
    )
    reward_redeem(member=member, reward=voucher, idempotency_key="v")

    page = logged_in.get(reverse("rewards:vouchers")).content.decode()

    assert "sent by post to Storgatan 1, 111 22 Sthlm" in page
    assert "Show this code at the till" in page


def test_vouchers_page_shows_only_my_own(logged_in, member):
    other = MemberFactory()
    points_award(member=other, points=500, reason="x", idempotency_key="o")
    theirs = reward_redeem(member=other, reward=RewardFactory(points_cost=10), idempotency_key="o")
    assert theirs.voucher_code not in logged_in.get(reverse("rewards:vouchers")).content.decode()


def test_how_to_earn_is_generated_from_the_live_rules(logged_in):
    # given rules in force, a bonus period, an activity rule and tiers
    EarningRuleFactory(points_per_sek=Decimal("1.5"), channel="")
    EarningRuleFactory(points_per_sek=5, is_active=False)  # switched off: not shown
    BonusPeriodFactory(multiplier=Decimal("2"))
    ActivityRuleFactory(activity="profile_completed", points=200, once_per_member=True)
    TierFactory(threshold=0, name_en="Base")
    TierFactory(threshold=5000, name_en="Gold", multiplier=Decimal("1.5"))

    page = logged_in.get(reverse("rewards:earn")).content.decode()

    assert "<strong>1.5 points per krona</strong>" in page
    assert "<strong>5 points per krona</strong>" not in page
    assert "2 times the points" in page
    assert "Profile completed" in page and "200\xa0points" in page
    assert "Gold" in page and "1.5 times the points on purchases" in page


def test_how_to_earn_is_swedish_for_a_swedish_member(client, member, user):
    user.language = "sv"
    user.save()
    member.language = "sv"
    member.save()
    EarningRuleFactory(points_per_sek=1, channel="")
    client.force_login(user)
    client.cookies["lojal_language"] = "sv"
    page = client.get(reverse("rewards:earn")).content.decode()
    assert "Så tjänar du poäng" in page and "1 poäng per krona" in page


def test_purchases_page_shows_points_earned_and_taken_back(logged_in, member):
    EarningRuleFactory(points_per_sek=1, channel="")
    store = StoreFactory(name="Butiken Uppsala")
    bought, _ = purchase_record(
        member=member,
        purchased_at=timezone.now() - datetime.timedelta(days=2),
        amount="129.00",
        currency="SEK",
        channel="store",
        store=store,
        source="pos",
        external_id="a1",
        lines=[{"product": "Kaffekopp", "amount": "129.00"}],
    )
    purchase_record(
        member=member,
        purchased_at=timezone.now(),
        amount="-129.00",
        currency="SEK",
        channel="store",
        store=store,
        source="pos",
        external_id="a2",
        original=bought,
        lines=[{"product": "Kaffekopp", "amount": "-129.00"}],
    )

    page = logged_in.get(reverse("members:purchases")).content.decode()

    assert "Butiken Uppsala" in page and "Kaffekopp" in page
    assert "SEK\xa0129.00" in page
    assert "+129 points earned" in page
    assert "\u2212129 points taken back" in page


def test_swedish_money_points_and_dates(client):
    user = UserFactory(language="sv")
    member = MemberFactory(user=user, email=user.email, language="sv")
    points_award(member=member, points=3880, reason="x", idempotency_key="x")
    store = StoreFactory(name="Butiken")
    purchase_record(
        member=member,
        purchased_at=datetime.datetime(2026, 3, 5, 12, tzinfo=datetime.UTC),
        amount="129.00",
        currency="SEK",
        channel="store",
        store=store,
        source="pos",
        external_id="s1",
        lines=[],
    )
    client.force_login(user)
    client.cookies["lojal_language"] = "sv"

    home = client.get("/").content.decode()
    purchases = client.get(reverse("members:purchases")).content.decode()

    assert re.search(r"\d\xa0\d{3}\xa0poäng", home)  # 3 880 and what the purchase earned
    assert "129,00\xa0kr" in purchases and "5 mars 2026" in purchases


def test_purchases_page_costs_the_same_queries_for_one_purchase_or_twenty(
    logged_in, member, django_assert_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    store = StoreFactory()

    def buy(n):
        purchase_record(
            member=member,
            purchased_at=timezone.now(),
            amount="10.00",
            currency="SEK",
            channel="store",
            store=store,
            source="pos",
            external_id=f"q{n}",
            lines=[{"product": "Bulle", "amount": "10.00"}],
        )

    buy(0)
    with CaptureQueriesContext(connection) as one:
        logged_in.get(reverse("members:purchases"))
    for n in range(1, 20):
        buy(n)
    with CaptureQueriesContext(connection) as twenty:
        logged_in.get(reverse("members:purchases"))
    assert len(twenty) == len(one)


def test_purchases_page_shows_only_my_own(logged_in, member):
    other = MemberFactory()
    purchase_record(
        member=other,
        purchased_at=timezone.now(),
        amount="77.00",
        currency="SEK",
        channel="store",
        store=StoreFactory(name="Någon annans butik"),
        source="pos",
        external_id="x",
        lines=[],
    )
    assert "Någon annans butik" not in logged_in.get(reverse("members:purchases")).content.decode()
