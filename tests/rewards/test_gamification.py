"""Badges, challenges and the leaderboard: set-based awarding (queries do not grow with members),
each badge and its points given once, challenge progress counted within the window only, and an
opt-in leaderboard that never shows e-mail addresses or full names."""

import datetime

import pytest
from django.db.models import F, Value
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from members.models import Member, Segment
from members.services.purchases import purchase_record
from rewards import metrics
from rewards.metrics import badge_metric_register, badge_metric_rows
from rewards.models import ChallengeCompletion, LeaderboardOptIn, MemberBadge, PointsEntry
from rewards.selectors.gamification import (
    badges_for_member,
    challenges_for_member,
    leaderboard_rank,
    leaderboard_top,
)
from rewards.services.gamification import (
    badges_award,
    challenges_award,
    gamification_award,
    leaderboard_join,
    leaderboard_leave,
)
from rewards.services.ledger import points_award
from rewards.tasks import gamification_award_task
from tests.members.factories import MemberFactory, PurchaseFactory

from .factories_gamification import BadgeFactory, ChallengeFactory
from .helpers import assert_ledger_consistent, balance_of

pytestmark = pytest.mark.django_db

NOW = timezone.now()
DAY = datetime.timedelta(days=1)


def _buyers(count, purchases=1, **purchase_kwargs):
    members = MemberFactory.create_batch(count)
    for member in members:
        for _ in range(purchases):
            PurchaseFactory(member=member, **purchase_kwargs)
    return members


# --- Metrics ----------------------------------------------------------------------------------


def test_metrics_count_per_member_in_sql_and_honour_the_window():
    old, new = _buyers(1, purchases=3, purchased_at=NOW - 30 * DAY)[0], MemberFactory()
    PurchaseFactory(member=new, purchased_at=NOW - DAY)
    PurchaseFactory(member=old, purchased_at=NOW - DAY)

    every = {r["member_id"]: r["value"] for r in badge_metric_rows(key="purchases")}
    recent = {
        r["member_id"]: r["value"]
        for r in badge_metric_rows(key="purchases", since=NOW - 2 * DAY, until=NOW)
    }

    assert every == {old.pk: 4, new.pk: 1}
    assert recent == {old.pk: 1, new.pk: 1}
    assert badge_metric_rows(key="no-such-metric") is None


def test_membership_years_count_whole_years():
    veteran = MemberFactory(joined_at=NOW - datetime.timedelta(days=365 * 3 + 10))
    newcomer = MemberFactory(joined_at=NOW - 100 * DAY)

    rows = {
        r["member_id"]: r["value"]
        for r in badge_metric_rows(key="membership_years", member_ids=[veteran.pk, newcomer.pk])
    }

    assert rows == {veteran.pk: 3, newcomer.pk: 0}


def test_points_earned_and_redemptions_metrics():
    member = MemberFactory()
    points_award(member=member, points=150, reason="x", idempotency_key="a")
    points_award(member=member, points=50, reason="y", idempotency_key="b")

    earned = list(badge_metric_rows(key="points_earned", member_ids=[member.pk]))
    redemptions = list(badge_metric_rows(key="redemptions", member_ids=[member.pk]))

    assert earned == [{"member_id": member.pk, "value": 200}]
    assert redemptions == []


# --- Badges -----------------------------------------------------------------------------------


@pytest.mark.parametrize("count", [3, 30])
def test_badges_are_awarded_set_based(count, django_assert_max_num_queries):
    """The queries do not grow with the number of members (3 and 30 run within the same
    budget): per badge one SELECT of who reached it, one of who has it and one bulk INSERT."""
    _buyers(count, purchases=2)
    BadgeFactory(slug="first", metric="purchases", threshold=1)
    BadgeFactory(slug="second", metric="purchases", threshold=2)
    BadgeFactory(slug="veteran", metric="membership_years", threshold=5)

    with django_assert_max_num_queries(16):
        result = badges_award()

    assert result.awarded == 2 * count
    assert MemberBadge.objects.count() == 2 * count


def test_a_badge_and_its_points_are_given_once():
    (member,) = _buyers(1, purchases=5)
    BadgeFactory(slug="five", metric="purchases", threshold=5, points=250)
    BadgeFactory(slug="ten", metric="purchases", threshold=10, points=999)

    first = badges_award()
    second = badges_award()
    third = badges_award(member_ids=[member.pk])

    assert (first.awarded, second.awarded, third.awarded) == (1, 0, 0)
    assert list(MemberBadge.objects.values_list("badge__slug", flat=True)) == ["five"]
    entry = PointsEntry.objects.get()
    assert entry.idempotency_key == f"badge:five:{member.pk}"
    assert entry.amount == 250 and "five" not in entry.reason_display
    assert balance_of(member) == 250
    assert_ledger_consistent()


def test_only_the_listed_members_are_checked_and_inactive_badges_skipped():
    one, two = _buyers(2)
    BadgeFactory(slug="first", threshold=1)
    BadgeFactory(slug="off", threshold=1, is_active=False)

    badges_award(member_ids=[one.pk])

    assert list(MemberBadge.objects.values_list("member_id", "badge__slug")) == [(one.pk, "first")]
    badges_award()
    assert MemberBadge.objects.filter(member=two).count() == 1


def test_erased_members_get_no_badges():
    (member,) = _buyers(1)
    Member.objects.filter(pk=member.pk).update(status="erased", erased_at=NOW)
    BadgeFactory(threshold=1, points=10)

    assert badges_award().awarded == 0
    assert not MemberBadge.objects.exists() and not PointsEntry.objects.exists()


@pytest.fixture
def seven_metric():
    """A metric as another app (events, forums) would register it: every member has 7."""

    def always_seven(*, member_ids, since, until):
        members = Member.objects.order_by()
        if member_ids is not None:
            members = members.filter(pk__in=member_ids)
        return members.annotate(member_id=F("pk"), value=Value(7)).values("member_id", "value")

    badge_metric_register("test_always_seven", "Seven", always_seven)
    yield
    metrics._metrics.pop("test_always_seven", None)


def test_a_metric_registered_by_another_app_works_and_an_unknown_one_is_skipped(seven_metric):
    (member,) = _buyers(1)
    BadgeFactory(slug="seven", metric="test_always_seven", threshold=7)
    BadgeFactory(slug="ghost", metric="events_attended_not_installed", threshold=1)

    badges_award()

    assert list(MemberBadge.objects.values_list("member_id", "badge__slug")) == [
        (member.pk, "seven")
    ]


def test_a_recorded_purchase_awards_the_buyers_badge_right_after_commit(
    django_capture_on_commit_callbacks,
):
    member, bystander = MemberFactory(), MemberFactory()
    PurchaseFactory(member=bystander)  # reached it too, but is left to the periodic task
    BadgeFactory(slug="first", threshold=1, points=50)

    with django_capture_on_commit_callbacks(execute=True):
        purchase_record(
            member=member,
            purchased_at=NOW,
            amount="100",
            currency="SEK",
            channel="online",
            store=None,
            source="eshop",
            external_id="o-1",
        )

    assert list(MemberBadge.objects.values_list("member_id", flat=True)) == [member.pk]
    assert PointsEntry.objects.filter(idempotency_key=f"badge:first:{member.pk}").count() == 1
    assert gamification_award().awarded == 1  # the periodic run picks up the bystander
    assert MemberBadge.objects.count() == 2


# --- Challenges -------------------------------------------------------------------------------


def test_challenge_progress_counts_only_within_the_window():
    member = MemberFactory()
    challenge = ChallengeFactory(
        metric="purchases", target=3, starts_at=NOW - 5 * DAY, ends_at=NOW + 5 * DAY
    )
    PurchaseFactory(member=member, purchased_at=NOW - 10 * DAY)  # before it started
    PurchaseFactory(member=member, purchased_at=NOW - 10 * DAY)
    PurchaseFactory(member=member, purchased_at=NOW - DAY)

    (status,) = challenges_for_member(member=member)

    assert (status.challenge, status.value, status.percent) == (challenge, 1, 33)
    assert challenges_award().awarded == 0
    assert not ChallengeCompletion.objects.exists()


def test_completing_a_challenge_awards_points_and_badge_once():
    member = MemberFactory()
    badge = BadgeFactory(slug="sprinter", metric="purchases", threshold=1000, points=20)
    challenge = ChallengeFactory(metric="purchases", target=2, points=100, badge=badge)
    PurchaseFactory(member=member, purchased_at=NOW - DAY)
    PurchaseFactory(member=member, purchased_at=NOW - 2 * DAY)

    first = challenges_award()
    again = challenges_award()
    gamification_award_task.delay()  # the periodic task runs it once more (eager in tests)

    assert (first.awarded, again.awarded) == (1, 0)
    assert ChallengeCompletion.objects.get().member == member
    assert MemberBadge.objects.get().badge == badge
    assert sorted(PointsEntry.objects.values_list("idempotency_key", flat=True)) == sorted(
        [f"challenge:{challenge.pk}:{member.pk}", f"badge:sprinter:{member.pk}"]
    )
    assert balance_of(member) == 120
    (status,) = challenges_for_member(member=member)
    assert status.completed_at is not None and status.percent == 100
    assert_ledger_consistent()


def test_a_challenge_that_has_not_started_or_ended_long_ago_is_not_awarded():
    member = MemberFactory()
    PurchaseFactory(member=member, purchased_at=NOW - 40 * DAY)
    PurchaseFactory(member=member, purchased_at=NOW - 39 * DAY)
    ChallengeFactory(target=2, starts_at=NOW - 50 * DAY, ends_at=NOW - 30 * DAY)
    ChallengeFactory(target=1, starts_at=NOW + DAY, ends_at=NOW + 10 * DAY)

    assert challenges_award().awarded == 0
    assert challenges_for_member(member=member) == []


def test_a_purchase_after_the_end_does_not_count():
    member = MemberFactory()
    challenge = ChallengeFactory(target=1, starts_at=NOW - 10 * DAY, ends_at=NOW - DAY)
    PurchaseFactory(member=member, purchased_at=NOW - DAY / 2)

    assert challenges_award().awarded == 0
    PurchaseFactory(member=member, purchased_at=challenge.ends_at - datetime.timedelta(minutes=5))
    assert challenges_award().awarded == 1  # finished just before the end: still rewarded


def test_a_segment_challenge_is_only_for_its_members():
    inside = MemberFactory(city="Malmö")
    outside = MemberFactory(city="Umeå")
    segment = Segment.objects.create(
        name="Malmö",
        rules={"op": "and", "rules": [{"field": "city", "operator": "eq", "value": "Malmö"}]},
    )
    ChallengeFactory(target=1, segment=segment)
    PurchaseFactory(member=inside, purchased_at=NOW - DAY)
    PurchaseFactory(member=outside, purchased_at=NOW - DAY)

    challenges_award()

    assert list(ChallengeCompletion.objects.values_list("member_id", flat=True)) == [inside.pk]
    assert challenges_for_member(member=outside) == []


@pytest.mark.parametrize("count", [3, 30])
def test_challenges_without_points_are_awarded_set_based(count, django_assert_max_num_queries):
    for member in MemberFactory.create_batch(count):
        PurchaseFactory(member=member, purchased_at=NOW - DAY)
    ChallengeFactory(target=1, points=None, badge=BadgeFactory(threshold=1000))

    with django_assert_max_num_queries(10):
        result = challenges_award()

    assert result.awarded == count
    assert MemberBadge.objects.count() == count


# --- The badges page --------------------------------------------------------------------------


@pytest.fixture
def portal(user):
    member = MemberFactory(user=user, email=user.email)
    client = Client()
    client.force_login(user)
    return client, member


def test_badges_page_shows_earned_badges_progress_and_challenges(portal):
    client, member = portal
    PurchaseFactory(member=member, purchased_at=NOW - DAY)
    BadgeFactory(name_en="First purchase", threshold=1)
    BadgeFactory(name_en="Five purchases", threshold=5)
    ChallengeFactory(name_en="Spring sprint", target=4, ends_at=NOW + 10 * DAY)
    badges_award()

    page = client.get(reverse("rewards:badges")).content.decode()

    assert "First purchase" in page and "Earned on" in page
    assert "Five purchases" in page and "1 of 5" in page
    assert "Spring sprint" in page and "1 of 4" in page and "Ends on" in page
    assert '<progress id="challenge-' in page and 'max="4" value="1"' in page
    statuses = badges_for_member(member=member)
    assert [(s.badge.name_en, s.awarded_at is not None) for s in statuses] == [
        ("First purchase", True),
        ("Five purchases", False),
    ]


def test_badges_page_shows_only_my_own_badges(portal):
    client, _member = portal
    other = MemberFactory()
    PurchaseFactory(member=other)
    BadgeFactory(name_en="First purchase", threshold=1)
    badges_award()

    page = client.get(reverse("rewards:badges")).content.decode()

    assert "No badges yet" in page and "0 of 1" in page


@pytest.mark.parametrize("name", ["rewards:badges", "rewards:leaderboard"])
def test_pages_need_a_login(client, name):
    response = client.get(reverse(name))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


# --- The leaderboard --------------------------------------------------------------------------


def _earner(points, **kwargs):
    member = MemberFactory(**kwargs)
    points_award(member=member, points=points, reason="x", idempotency_key=f"e{member.pk}")
    return member


def test_only_opted_in_members_are_ranked_by_points_earned_in_12_months():
    hidden = _earner(10_000, first_name="Hedda", last_name="Hemlig")
    anna = _earner(300, first_name="Anna", last_name="Larsson")
    bo = _earner(500, first_name="Bo", last_name="Ek")
    leaderboard_join(member=anna)
    leaderboard_join(member=bo, display_name="Bosse")
    old = PointsEntry.objects.create(
        member=anna,
        kind="adjust",
        amount=1,
        qualifying=5000,
        reason="old",
        idempotency_key="old",
        created_at=NOW - 400 * DAY,
    )
    assert old.pk

    rows = leaderboard_top(member=anna)

    assert [(r.rank, r.display_name, r.points, r.is_me) for r in rows] == [
        (1, "Bosse", 500, False),
        (2, "Anna L.", 300, True),
    ]
    assert leaderboard_rank(member=anna).rank == 2
    assert leaderboard_rank(member=hidden) is None


def test_leaving_removes_the_member_at_once():
    member = _earner(100)
    leaderboard_join(member=member)
    assert leaderboard_leave(member=member) is True
    assert leaderboard_top() == [] and not LeaderboardOptIn.objects.exists()
    assert leaderboard_leave(member=member) is False


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("anna@example.se", "invalid_name"),
        ("x" * 31, "name_too_long"),
        ("Anna Larsson", "full_name"),
        (42, "invalid_name"),
    ],
)
def test_a_display_name_that_reveals_too_much_is_refused(name, code):
    member = _earner(100, first_name="Anna", last_name="Larsson")
    with pytest.raises(Exception) as error:
        leaderboard_join(member=member, display_name=name)
    assert getattr(error.value, "code", None) == code
    assert not LeaderboardOptIn.objects.exists()


def test_leaderboard_page_join_and_leave_and_never_shows_emails_or_full_names(user):
    member = MemberFactory(user=user, email=user.email, first_name="Anna", last_name="Larsson")
    points_award(member=member, points=200, reason="x", idempotency_key="me")
    other = _earner(900, first_name="Carl", last_name="Svensson", email="carl@example.se")
    leaderboard_join(member=other)
    _earner(5000, first_name="Dora", last_name="Dold", email="dora@example.se")  # not opted in
    client = Client()
    client.force_login(user)
    url = reverse("rewards:leaderboard")

    page = client.get(url).content.decode()
    assert "Carl S." in page and "Svensson" not in page and "carl@example.se" not in page
    assert "Dora" not in page and "dora@example.se" not in page
    assert "Only members who chose to take part are shown" in page
    assert "Anna L." in page  # the suggested name in the form, not on the board yet
    assert not LeaderboardOptIn.objects.filter(member=member).exists()

    joined = client.post(url, {"action": "join", "display_name": "Annie"}, follow=True)
    page = joined.content.decode()
    assert "You are on the leaderboard as “Annie”." in page
    assert "You are number 2 as “Annie” with 200 points." in page
    assert user.email not in page and "Larsson" not in page

    refused = client.post(url, {"action": "join", "display_name": "me@example.se"})
    assert "cannot contain an e-mail address" in refused.content.decode()
    assert LeaderboardOptIn.objects.get(member=member).display_name == "Annie"

    client.post(url, {"action": "leave"})
    assert not LeaderboardOptIn.objects.filter(member=member).exists()
    assert "Annie" not in client.get(url).content.decode()


def test_leaderboard_post_needs_the_csrf_token(user):
    MemberFactory(user=user, email=user.email)
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)

    response = client.post(reverse("rewards:leaderboard"), {"action": "join"})

    assert response.status_code == 403
    assert not LeaderboardOptIn.objects.exists()


def test_leaderboard_page_queries_do_not_grow_with_participants(
    user, django_assert_max_num_queries
):
    MemberFactory(user=user, email=user.email)
    for member in MemberFactory.create_batch(25):
        points_award(member=member, points=10, reason="x", idempotency_key=f"k{member.pk}")
        leaderboard_join(member=member)
    client = Client()
    client.force_login(user)

    with django_assert_max_num_queries(15):
        page = client.get(reverse("rewards:leaderboard")).content.decode()

    assert page.count("<tr") == 21  # the header and the top 20


# --- GDPR -------------------------------------------------------------------------------------


def test_export_holds_badges_and_leaderboard_name_and_erasure_removes_the_name():
    import io
    import zipfile

    from members.services.gdpr import member_erase, member_export_zip

    (member,) = _buyers(1)
    BadgeFactory(name_en="First purchase", threshold=1)
    badges_award()
    leaderboard_join(member=member, display_name="Nisse")

    archive = zipfile.ZipFile(io.BytesIO(member_export_zip(member=member)))
    assert "First purchase" in archive.read("badges.csv").decode()
    assert "Nisse" in archive.read("leaderboard.csv").decode()

    member_erase(member=member)

    assert not LeaderboardOptIn.objects.exists()
    assert MemberBadge.objects.filter(member=member).exists()  # not personal: kept
