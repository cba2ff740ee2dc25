"""Portal pages: my points, the catalogue, the redeem flow with confirmation, my vouchers."""

import re

import pytest
from django.urls import reverse

from rewards.models import Redemption
from rewards.services.ledger import points_award
from tests.members.factories import MemberFactory

from .factories import RewardFactory, TierFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def member(user):
    member = MemberFactory(user=user, email=user.email)
    points_award(member=member, points=300, reason="Welcome", idempotency_key=f"w{member.pk}")
    return member


@pytest.fixture
def logged_in(client, user, member):
    client.force_login(user)
    return client


@pytest.mark.parametrize("name", ["rewards:points", "rewards:catalogue", "rewards:vouchers"])
def test_pages_need_a_login(client, name):
    response = client.get(reverse(name))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_my_points_shows_balance_tier_progress_and_expiring_points(logged_in, member):
    TierFactory(threshold=0, name_en="Bas")
    TierFactory(threshold=1000, name_en="Silver")
    points_award(member=member, points=1, reason="Tick", idempotency_key="t")

    page = logged_in.get(reverse("rewards:points")).content.decode()

    assert "301 points" in page
    assert "Bas" in page and "699 more points to Silver" in page
    assert re.search(r"301 points expire on 31 December \d{4}", page)
    assert "Welcome" in page
    assert "<script>" not in page and 'style="' not in page


def test_catalogue_filters_and_marks_what_i_can_afford(logged_in):
    RewardFactory(points_cost=100, name_en="Coffee", kind="product")
    RewardFactory(points_cost=1000, name_en="Cooking class", kind="experience")

    page = logged_in.get(reverse("rewards:catalogue")).content.decode()
    assert "Coffee" in page and "Cooking class" in page and "Not enough points yet" in page
    affordable = logged_in.get(reverse("rewards:catalogue") + "?affordable=on").content.decode()
    assert "Coffee" in affordable and "Cooking class" not in affordable
    by_kind = logged_in.get(reverse("rewards:catalogue") + "?kind=experience").content.decode()
    assert "Coffee" not in by_kind and "Cooking class" in by_kind


def test_redeem_asks_first_then_redeems_once_on_post(logged_in, member):
    reward = RewardFactory(points_cost=100, name_en="Coffee")
    url = reverse("rewards:redeem", args=[reward.pk])

    confirm = logged_in.get(url)
    assert confirm.status_code == 200 and Redemption.objects.count() == 0
    key = re.search(r'name="key" value="([0-9a-f]+)"', confirm.content.decode()).group(1)

    done = logged_in.post(url, {"key": key})
    again = logged_in.post(url, {"key": key})  # a double click

    assert done.status_code == again.status_code == 302
    assert Redemption.objects.count() == 1
    vouchers = logged_in.get(reverse("rewards:vouchers")).content.decode()
    assert Redemption.objects.get().voucher_code in vouchers


def test_redeem_refusal_is_shown_and_nothing_written(logged_in):
    reward = RewardFactory(points_cost=100, stock=0)
    response = logged_in.post(
        reverse("rewards:redeem", args=[reward.pk]), {"key": "abc"}, follow=True
    )
    assert "out of stock" in response.content.decode()
    assert Redemption.objects.count() == 0


def test_rewards_not_for_my_tier_are_not_found(logged_in):
    reward = RewardFactory()
    reward.tiers.add(TierFactory(threshold=50_000))
    assert logged_in.get(reverse("rewards:redeem", args=[reward.pk])).status_code == 404


def test_csrf_is_required_to_redeem(user, member):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    reward = RewardFactory()
    response = client.post(reverse("rewards:redeem", args=[reward.pk]), {"key": "abc"})
    assert response.status_code == 403
    assert Redemption.objects.count() == 0


def test_history_page_costs_the_same_queries_whatever_its_length(
    logged_in, member, django_assert_max_num_queries
):
    for index in range(30):
        points_award(member=member, points=1, reason="x", idempotency_key=f"many{index}")
    with django_assert_max_num_queries(20):
        logged_in.get(reverse("rewards:points"))
