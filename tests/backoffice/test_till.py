"""The till: store staff find the member a customer names, in any spelling of their phone, use a
voucher with one click (audited) and register a purchase made without the card. Bad input is a
clear message and nothing written."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from core.models import AuditLogEntry
from members.models import Purchase
from rewards.models import Redemption
from rewards.selectors.till import till_member_search
from rewards.services.ledger import points_award
from rewards.services.redemptions import redemption_cancel, reward_redeem
from tests.members.factories import MemberFactory, StoreFactory
from tests.rewards.factories import RewardFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def member():
    return MemberFactory(number="12345674", phone="+46708176819", email="anna@example.se")


@pytest.fixture
def store():
    return StoreFactory(code="sthlm", name="Stockholm City")


@pytest.fixture
def till(store_staff, store):
    store_staff.post("/admin/till/", {"action": "store", "store": store.pk})
    return store_staff


def _voucher(member, reward=None, key="v1"):
    points_award(member=member, points=1000, reason="x", idempotency_key=f"seed-{key}")
    return reward_redeem(
        member=member, reward=reward or RewardFactory(points_cost=100), idempotency_key=key
    )


@pytest.mark.parametrize(
    "query",
    [
        "0708176819",
        "070-817 68 19",
        "+46 70 817 68 19",
        "12345674",
        " 1234 5674 ",
        "ANNA@example.se",
    ],
)
def test_search_finds_the_member_in_any_spelling(member, query):
    result = till_member_search(query=query)
    assert result.code == ""
    assert result.members == [member]


@pytest.mark.parametrize(
    ("query", "code"),
    [("", "empty"), ("   ", "empty"), ("0708ab6819", "invalid"), ("123", "invalid")],
)
def test_search_refuses_bad_input_with_a_message(member, query, code):
    result = till_member_search(query=query)
    assert result.code == code
    assert result.members == []
    assert result.message


def test_two_members_with_the_same_phone_are_both_offered(member):
    twin = MemberFactory(phone=member.phone)
    result = till_member_search(query="070 817 68 19")
    assert result.code == "several"
    assert set(result.members) == {member, twin}


def test_erased_members_are_not_found(member):
    member.status = "erased"
    member.erased_at = timezone.now()
    member.save()
    assert till_member_search(query="12345674").code == "not_found"


def test_till_page_shows_name_tier_balance_and_vouchers(till, member):
    voucher = _voucher(member)
    html = till.get("/admin/till/", {"q": "070-817 68 19"}).content.decode()
    assert member.first_name in html
    assert voucher.voucher_code in html
    assert "900" in html  # the balance after the redemption


def test_marking_a_voucher_used_is_one_post_and_audited(till, member, store):
    voucher = _voucher(member)
    response = till.post(
        "/admin/till/", {"action": "use_voucher", "member": member.pk, "voucher": voucher.pk}
    )
    assert response.status_code == 302
    voucher.refresh_from_db()
    assert voucher.status == Redemption.Status.FULFILLED
    assert voucher.used_in_store == store
    entry = AuditLogEntry.objects.get(action="redemption.use_at_till")
    assert entry.actor == till.user
    assert entry.details["store"] == "sthlm"


def test_using_a_voucher_twice_is_refused_with_a_message(till, member):
    voucher = _voucher(member)
    data = {"action": "use_voucher", "member": member.pk, "voucher": voucher.pk}
    till.post("/admin/till/", data)
    response = till.post("/admin/till/", data, follow=True)
    assert "already used" in response.content.decode() or "redan" in response.content.decode()
    assert AuditLogEntry.objects.filter(action="redemption.use_at_till").count() == 1


def test_a_cancelled_voucher_cannot_be_used(till, member, club_admin):
    voucher = _voucher(member)
    redemption_cancel(redemption=voucher, actor=club_admin.user)
    response = till.post(
        "/admin/till/",
        {"action": "use_voucher", "member": member.pk, "voucher": voucher.pk},
        follow=True,
    )
    voucher.refresh_from_db()
    assert voucher.status == Redemption.Status.CANCELLED
    assert voucher.used_in_store is None
    assert response.context["messages"]
    assert not AuditLogEntry.objects.filter(action="redemption.use_at_till").exists()


def test_another_stores_voucher_is_refused(till, member):
    elsewhere = StoreFactory(code="gbg", name="Göteborg")
    reward = RewardFactory(points_cost=100)
    reward.stores.add(elsewhere)
    voucher = _voucher(member, reward=reward)
    response = till.post(
        "/admin/till/",
        {"action": "use_voucher", "member": member.pk, "voucher": voucher.pk},
        follow=True,
    )
    voucher.refresh_from_db()
    assert voucher.status == Redemption.Status.PENDING
    assert "Göteborg" in response.content.decode()


def test_another_members_voucher_is_refused(till, member):
    other = MemberFactory()
    voucher = _voucher(other, key="other")
    till.post("/admin/till/", {"action": "use_voucher", "member": member.pk, "voucher": voucher.pk})
    voucher.refresh_from_db()
    assert voucher.status == Redemption.Status.PENDING


def test_an_expired_voucher_is_refused(till, member):
    voucher = _voucher(member)
    Redemption.objects.filter(pk=voucher.pk).update(
        voucher_valid_until=timezone.localdate() - datetime.timedelta(days=1)
    )
    till.post("/admin/till/", {"action": "use_voucher", "member": member.pk, "voucher": voucher.pk})
    voucher.refresh_from_db()
    assert voucher.status == Redemption.Status.PENDING


def test_no_voucher_is_used_before_the_store_is_chosen(store_staff, member):
    voucher = _voucher(member)
    store_staff.post(
        "/admin/till/", {"action": "use_voucher", "member": member.pk, "voucher": voucher.pk}
    )
    voucher.refresh_from_db()
    assert voucher.status == Redemption.Status.PENDING


def test_registering_a_purchase_without_the_card_goes_through_the_purchase_service(
    till, member, store
):
    data = {"action": "purchase", "member": member.pk, "amount": "249,50", "receipt": "K-1001"}
    till.post("/admin/till/", data)
    till.post("/admin/till/", data)  # the same receipt again: stored once
    purchase = Purchase.objects.get(member=member)
    assert purchase.amount == Decimal("249.50")
    assert purchase.channel == "store" and purchase.store == store
    assert purchase.source == "till" and purchase.external_id == "sthlm:K-1001"
    assert AuditLogEntry.objects.filter(action="purchase.register_at_till").count() == 1


def test_a_purchase_with_a_bad_amount_writes_nothing(till, member):
    till.post(
        "/admin/till/", {"action": "purchase", "member": member.pk, "amount": "-5", "receipt": "1"}
    )
    till.post(
        "/admin/till/", {"action": "purchase", "member": member.pk, "amount": "abc", "receipt": "1"}
    )
    assert not Purchase.objects.exists()


def test_the_till_is_for_store_staff_and_club_admins_only(marketer, club_admin):
    assert marketer.get("/admin/till/").status_code == 403
    assert club_admin.get("/admin/till/").status_code == 200


def test_till_page_queries_do_not_grow_with_vouchers(till, member, django_assert_max_num_queries):
    _voucher(member, key="a")
    till.get("/admin/till/", {"member": member.pk})
    with django_assert_max_num_queries(30) as few:
        till.get("/admin/till/", {"member": member.pk})
    for index in range(5):
        reward_redeem(
            member=member, reward=RewardFactory(points_cost=10), idempotency_key=f"m{index}"
        )
    with django_assert_max_num_queries(len(few.captured_queries)):
        till.get("/admin/till/", {"member": member.pk})
