"""Every back-office list page keeps a constant number of queries whatever its rows, and each
role reaches only its pages."""

from __future__ import annotations

import pytest

from core.services import audit_log
from rewards.services.ledger import points_award
from rewards.services.redemptions import reward_redeem
from tests.members.factories import MemberFactory, PurchaseFactory, StoreFactory
from tests.rewards.factories import RewardFactory

pytestmark = pytest.mark.django_db

LISTS = [
    "/admin/members/member/",
    "/admin/members/purchase/",
    "/admin/members/memberscore/",
    "/admin/rewards/pointsaccount/",
    "/admin/rewards/pointsentry/",
    "/admin/rewards/redemption/",
    "/admin/rewards/pointslot/",
    "/admin/core/auditlogentry/",
    "/admin/rewards/bulkadjustment/",
]


def _rows(count: int, start: int) -> None:
    store = StoreFactory(code="qstore")
    reward = RewardFactory(points_cost=10)
    for index in range(start, start + count):
        member = MemberFactory(preferred_store=store)
        PurchaseFactory(member=member, store=store)
        points_award(member=member, points=50, reason="x", idempotency_key=f"q{index}")
        redemption = reward_redeem(member=member, reward=reward, idempotency_key=f"r{index}")
        audit_log(action="redemption.fulfil", target=redemption)


@pytest.mark.parametrize("path", LISTS)
def test_list_page_queries_do_not_grow_with_rows(club_admin, path, django_assert_max_num_queries):
    from members.services.scores import member_scores_compute

    _rows(2, 0)
    member_scores_compute()
    club_admin.get(path)  # warm-up: content types, permissions
    with django_assert_max_num_queries(60) as few:
        assert club_admin.get(path).status_code == 200
    _rows(10, 100)
    member_scores_compute()
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert club_admin.get(path).status_code == 200


ROLE_PAGES = {
    # page: roles that may open it
    "/admin/": {"club admin", "marketer", "moderator", "store staff"},
    "/admin/till/": {"club admin", "store staff"},
    "/admin/members/member/": {"club admin", "marketer", "moderator", "store staff"},
    "/admin/members/consentevent/": {"club admin", "marketer"},
    "/admin/members/memberscore/": {"club admin", "marketer"},
    "/admin/rewards/pointsaccount/report/": {"club admin", "marketer"},
    "/admin/rewards/pointsentry/": {"club admin", "marketer"},
    "/admin/rewards/pointslot/": {"club admin"},
    "/admin/core/outgoingemail/": {"club admin"},
    "/admin/core/auditlogentry/": {"club admin"},
    "/admin/rewards/bulkadjustment/": {"club admin"},
}


@pytest.mark.parametrize("role", ["club admin", "marketer", "moderator", "store staff"])
def test_each_role_reaches_only_its_pages(role_client, role):
    client = role_client(role)
    for path, allowed in ROLE_PAGES.items():
        status = client.get(path).status_code
        if role in allowed:
            assert status in (200, 302), (role, path, status)
        else:
            assert status in (403, 302), (role, path, status)
            if status == 302:  # the admin index sends a user with no tiles to their landing
                assert path == "/admin/"
