"""Member scores: one set-based upsert, checked on a small hand-made club (SQLite, PostgreSQL)."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from members.models import Member, MemberScore
from members.services.scores import member_scores_compute
from members.tasks import member_scores_compute_task
from tests.members.factories import MemberFactory, PurchaseFactory, StoreFactory

NOW = datetime.datetime(2026, 6, 1, 12, 0, tzinfo=datetime.UTC)


def _buy(member, days_ago, amount, channel="store", store=None, original=None):
    return PurchaseFactory(
        member=member,
        purchased_at=NOW - datetime.timedelta(days=days_ago),
        amount=Decimal(amount),
        channel=channel,
        store=store if channel == "store" else None,
        original=original,
    )


@pytest.fixture
def club():
    """Six members with known patterns; returns them by name."""
    store = StoreFactory()
    names = ("loyal", "lapsed", "oneoff", "none", "old", "both")
    people = {name: MemberFactory() for name in names}
    # a regular: six store visits 30 days apart, the last 10 days ago
    for days in (160, 130, 100, 70, 40, 10):
        _buy(people["loyal"], days, "100.00", store=store)
    # lapsed: two online orders 60 days apart, the last 140 days ago
    _buy(people["lapsed"], 200, "500.00", channel="online")
    _buy(people["lapsed"], 140, "500.00", channel="online")
    # a one-off buyer who returned part of it
    first = _buy(people["oneoff"], 100, "1000.00", store=store)
    _buy(people["oneoff"], 95, "-400.00", store=store, original=first)
    # bought once, long ago
    _buy(people["old"], 500, "250.00", store=store)
    # both channels, recent, the biggest spender
    for days, channel in ((50, "online"), (35, "store"), (20, "online"), (5, "store")):
        _buy(people["both"], days, "800.00", channel=channel, store=store)
    # a purchase after `now` is ignored
    _buy(people["none"], -3, "999.00", store=store)
    return people


def _score(member) -> MemberScore:
    return MemberScore.objects.get(member=member)


def _check_club(club):
    # when the scores are computed
    written = member_scores_compute(now=NOW)

    # then every member has one row
    assert MemberScore.objects.count() == len(club), written
    assert written == len(club)

    loyal = _score(club["loyal"])
    assert loyal.purchase_count == 6 and loyal.purchase_count_12m == 6
    assert loyal.total_spend == Decimal("600.00") == loyal.clv_historic
    assert loyal.average_order_value == Decimal("100.00")
    assert loyal.days_since_last_purchase == 10
    assert loyal.churn_risk == Decimal("0")  # within the usual 30 days
    assert loyal.clv_predicted_12m == Decimal("600.00")
    assert loyal.preferred_channel == "store"

    lapsed = _score(club["lapsed"])
    # 140 days since, usual interval 60: (140/60 - 1) / 2 = 0.667
    assert lapsed.churn_risk == Decimal("0.667")
    assert lapsed.clv_predicted_12m == Decimal("333.00")
    assert lapsed.preferred_channel == "online"

    oneoff = _score(club["oneoff"])
    # the return counts against spend but is not an order
    assert oneoff.purchase_count == 1
    assert oneoff.total_spend == Decimal("600.00") and oneoff.spend_12m == Decimal("600.00")
    # one order: the default 90-day interval, 100 days since: (100/90 - 1) / 2 = 0.056
    assert oneoff.churn_risk == Decimal("0.056")

    old = _score(club["old"])
    assert (old.recency_score, old.frequency_score, old.monetary_score) == (0, 0, 0)
    assert old.churn_risk == Decimal("1") and old.spend_12m == 0 and old.clv_predicted_12m == 0
    assert old.total_spend == Decimal("250.00")

    nobody = _score(club["none"])
    assert nobody.purchase_count == 0 and nobody.total_spend == 0
    assert nobody.last_purchase_at is None and nobody.days_since_last_purchase is None
    assert nobody.preferred_channel == "none" and nobody.churn_risk == 0
    assert (nobody.recency_score, nobody.frequency_score, nobody.monetary_score) == (0, 0, 0)

    both = _score(club["both"])
    assert both.preferred_channel == "both"

    # RFM: NTILE(5) over the four members with orders in 12 months (buckets 1-4 here)
    def rfm(name):
        score = _score(club[name])
        return score.recency_score, score.frequency_score, score.monetary_score

    assert rfm("lapsed")[0] < rfm("oneoff")[0] < rfm("loyal")[0] < rfm("both")[0]
    assert rfm("loyal")[1] == 4  # most orders in 12 months
    assert rfm("both")[2] == 4  # highest net 12-month spend
    assert rfm("oneoff")[1] == 1  # fewest orders (ties broken by member id)


@pytest.mark.django_db
def test_scores_on_a_hand_made_club(club):
    _check_club(club)


@pytest.mark.postgres
@pytest.mark.django_db
def test_scores_on_a_hand_made_club_postgres(club):
    _check_club(club)


@pytest.mark.django_db
def test_recomputing_updates_rows_and_drops_erased_members(club):
    # given scores computed once
    member_scores_compute(now=NOW)

    # when a member buys again and another is erased, and the scores are recomputed
    _buy(club["none"], 1, "50.00", channel="online")
    Member.objects.filter(pk=club["old"].pk).update(
        status=Member.Status.ERASED, erased_at=timezone.now()
    )
    written = member_scores_compute(now=NOW)

    # then the rows are updated in place and the erased member has none
    assert written == len(club) - 1 == MemberScore.objects.count()
    assert _score(club["none"]).purchase_count == 1
    assert _score(club["none"]).preferred_channel == "online"
    assert not MemberScore.objects.filter(member=club["old"]).exists()


@pytest.mark.django_db
def test_the_task_computes_the_scores(club):
    # when the Celery task runs (eagerly, as the worker would call it)
    written = member_scores_compute_task.apply().get()

    # then every member has a score
    assert written == MemberScore.objects.count() == len(club)


@pytest.mark.django_db
def test_the_member_admin_page_shows_the_scores_read_only(client, club, settings):
    # given computed scores and a club admin
    from django.contrib.auth.models import Group

    from members.roles import CLUB_ADMIN
    from tests.members.factories import StaffFactory

    settings.STAFF_MFA_REQUIRED = False  # the MFA gate is tested with the accounts
    member_scores_compute(now=NOW)
    admin_user = StaffFactory()
    admin_user.groups.add(Group.objects.get(name=CLUB_ADMIN))
    client.force_login(admin_user)

    # when the member's admin page is opened
    response = client.get(f"/admin/members/member/{club['loyal'].pk}/change/")

    # then the scores are shown, and cannot be edited there
    assert response.status_code == 200
    content = response.content.decode()
    assert "member scores" in content.lower() or "member score" in content.lower()
    assert "600.00" in content  # total spend
    assert 'name="score-0-churn_risk"' not in content
