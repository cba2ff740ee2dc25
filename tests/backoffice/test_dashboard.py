"""The back office's home: a dashboard of registered tiles for the period chosen, navigation
grouped by job, each role seeing only its groups, Settings for club admins only."""

from __future__ import annotations

import datetime
import re

import pytest
from django.utils import timezone

from core import dashboard
from members.models import Purchase
from rewards.services.ledger import points_award
from rewards.services.redemptions import reward_redeem
from tests.members.factories import MemberFactory, PurchaseFactory
from tests.rewards.factories import RewardFactory

pytestmark = pytest.mark.django_db


def _club(members: int = 3) -> None:
    now = timezone.now()
    reward = RewardFactory(points_cost=50)
    for index in range(members):
        member = MemberFactory()
        PurchaseFactory(member=member, purchased_at=now - datetime.timedelta(days=index + 1))
        points_award(member=member, points=200, reason="x", idempotency_key=f"seed-{member.pk}")
        reward_redeem(member=member, reward=reward, idempotency_key=f"r-{member.pk}")


def _groups(html: str) -> list[str]:
    return re.findall(r'<div class="app-(\w+) module', html)


def test_club_admin_home_is_the_dashboard_with_every_tile_and_chart(club_admin):
    # given a small club
    _club()
    # when the club admin opens the admin home
    response = club_admin.get("/admin/")
    # then it is the dashboard: every registered tile, charts drawn as SVG, figures linked
    assert response.status_code == 200
    html = response.content.decode()
    for key in ("members", "retention", "value", "purchases", "points", "liability", "redemptions"):
        assert f'id="tile-{key}"' in html, key
    assert html.count("<svg") >= 4
    assert 'href="/admin/members/member/"' in html
    assert "<script" not in html.split('id="content-main"')[1].split("</main>")[0]
    # and the navigation is grouped by job, Settings included for the club admin
    groups = _groups(html)
    assert groups[:3] == ["members", "loyalty", "club_life"]
    assert "settings" in groups


def test_period_selector_changes_the_period(club_admin):
    html = club_admin.get("/admin/?period=7d").content.decode()
    assert 'class="period-selector__option is-current"' in html
    assert re.search(r'href="\?period=7d" class="period-selector__option is-current"', html)
    # an unknown period falls back to the default, no error
    assert club_admin.get("/admin/?period=nonsense").status_code == 200


def test_dashboard_query_count_does_not_grow_with_the_club(
    club_admin, django_assert_max_num_queries
):
    _club(2)
    club_admin.get("/admin/")  # warm caches (content types, permissions)
    with django_assert_max_num_queries(40) as small:
        club_admin.get("/admin/")
    _club(12)
    with django_assert_max_num_queries(len(small.captured_queries)):
        club_admin.get("/admin/")


def test_marketer_sees_marketing_groups_but_not_settings(marketer):
    html = marketer.get("/admin/").content.decode()
    groups = _groups(html)
    assert "members" in groups and "loyalty" in groups
    assert "settings" not in groups
    for technical in ("tokenproxy", "periodictask", "outgoingemail", "pointslot", "authenticator"):
        assert f"model-{technical}" not in html, technical


def test_store_staff_land_on_the_till_and_see_no_finance(store_staff):
    response = store_staff.get("/admin/")
    assert response.status_code == 302
    assert response["Location"] == "/admin/till/"
    till = store_staff.get("/admin/till/").content.decode()
    assert "settings" not in _groups(till)
    assert "model-pointsentry" not in till and "model-consentevent" not in till
    assert store_staff.get("/admin/rewards/pointsaccount/report/").status_code == 403
    assert store_staff.get("/admin/members/consentevent/").status_code == 403
    assert store_staff.get("/admin/core/outgoingemail/").status_code == 403


def test_moderator_may_not_use_the_till(moderator):
    assert moderator.get("/admin/till/").status_code == 403


def test_tile_without_permission_or_data_is_left_out(marketer):
    dashboard.dashboard_tile_register(
        key="t-secret", title="Secret", group="reports", data=lambda r, p: {}, permission="x.y"
    )
    dashboard.dashboard_tile_register(
        key="t-none", title="Nothing", group="reports", data=lambda r, p: None
    )
    try:
        html = marketer.get("/admin/").content.decode()
        assert 'id="tile-t-secret"' not in html and 'id="tile-t-none"' not in html
    finally:
        dashboard.dashboard_tile_unregister("t-secret")
        dashboard.dashboard_tile_unregister("t-none")


def test_every_member_and_rewards_admin_model_is_filed_in_a_group():
    from django.contrib import admin

    for model in admin.site._registry:
        label = model._meta.label
        if model._meta.app_label in ("members", "rewards", "core"):
            group = dashboard.backoffice_model_group(label).group
            assert group in dashboard.GROUPS
            if model._meta.app_label == "core":
                assert group == "settings"
    assert dashboard.backoffice_model_group("rewards.PointsLot").group == "settings"
    assert dashboard.backoffice_model_group("members.Member").group == "members"


def test_purchases_tile_counts_online_and_in_store(club_admin):
    member = MemberFactory()
    PurchaseFactory(member=member, channel=Purchase.Channel.ONLINE, store=None)
    html = club_admin.get("/admin/?period=30d").content.decode()
    assert "channel__exact=online" in html


def test_audit_log_shows_actions_as_words(club_admin):
    from core.services import audit_log

    audit_log(action="redemption.cancel", actor=club_admin.user)
    html = club_admin.get("/admin/core/auditlogentry/").content.decode()
    assert "Redemption cancelled" in html
    assert "redemption.cancel</td>" not in html


def test_dashboard_reads_the_rollup_and_the_task_refreshes_it(club_admin):
    from core.models import DashboardTileData
    from core.services import dashboard_refresh

    # the periodic task fills every tile for every period and language
    written = dashboard_refresh()
    assert written == DashboardTileData.objects.count() > 0
    assert DashboardTileData.objects.filter(language="sv", period="90d", tile="members").exists()
    # a fresh rollup is read, not recomputed: a new member shows only after the next refresh
    club_admin.get("/admin/?period=90d")
    MemberFactory()
    html = club_admin.get("/admin/?period=90d").content.decode()
    members = DashboardTileData.objects.get(language="en", period="90d", tile="members")
    assert members.data["figures"][0]["value"] == 0
    assert 'id="tile-members"' in html
    dashboard_refresh()
    members.refresh_from_db()
    assert members.data["figures"][0]["value"] == 1


def test_a_stale_rollup_is_recomputed_on_view(club_admin, settings):
    from core.models import DashboardTileData

    settings.DASHBOARD_REFRESH_SECONDS = 0
    club_admin.get("/admin/")
    MemberFactory()
    club_admin.get("/admin/")
    members = DashboardTileData.objects.get(language="en", period="90d", tile="members")
    assert members.data["figures"][0]["value"] == 1
