"""Points for activities: rules, caps, idempotency, the members hooks and the birthday task."""

import datetime
import threading
from collections import Counter
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone

from members.hooks import member_activity_run
from members.models import Member
from members.services.consent import consent_set
from members.services.gdpr import member_erase
from members.services.profiles import member_number_generate, member_update
from members.services.purchases import purchase_record
from rewards.models import ActivityRule, PointsEntry
from rewards.services.activities import points_birthday_award, points_earn_for_activity
from rewards.services.earning import points_earn_for_purchase
from rewards.tasks import points_birthday_award_task
from tests.members.factories import (
    PASSWORD,
    ConsentTextFactory,
    MemberFactory,
    PurchaseFactory,
    StaffFactory,
    StoreFactory,
    UserFactory,
)

from .factories_earning import ActivityRuleFactory
from .helpers import assert_ledger_consistent, balance_of

db = pytest.mark.django_db


def _earn(member, cause_key, activity="survey_answered", **kwargs):
    return points_earn_for_activity(member=member, activity=activity, cause_key=cause_key, **kwargs)


@db
def test_an_activity_earns_the_rule_points_once_per_cause_key():
    ActivityRuleFactory(activity="survey_answered", points=50)
    member = MemberFactory()

    first = _earn(member, "survey:1")
    again = _earn(member, "survey:1")
    other = _earn(member, "survey:2")

    assert first.pk == again.pk and first.amount == 50
    assert other.pk != first.pk
    assert balance_of(member) == 100
    assert first.reason_display == "Survey answered"
    assert first.cause_label == "activity:survey_answered"
    assert_ledger_consistent()


@db
def test_no_rule_inactive_or_out_of_window_writes_nothing():
    now = timezone.now()
    ActivityRuleFactory(activity="event_attended", is_active=False)
    ActivityRuleFactory(
        activity="event_attended",
        valid_from=now + datetime.timedelta(days=1),
        valid_until=now + datetime.timedelta(days=5),
    )
    member = MemberFactory()

    assert _earn(member, "event:1", activity="event_attended") is None
    assert _earn(member, "x:1", activity="suggestion_adopted") is None
    assert PointsEntry.objects.count() == 0


@db
def test_the_newest_valid_rule_applies():
    now = timezone.now()
    ActivityRuleFactory(points=10)
    ActivityRuleFactory(points=30, valid_from=now - datetime.timedelta(days=1))

    assert _earn(MemberFactory(), "s:1").amount == 30


@db
def test_paused_and_erased_members_earn_nothing():
    ActivityRuleFactory()
    paused = MemberFactory(status="paused")
    erased = MemberFactory(status="erased", erased_at=timezone.now())

    assert _earn(paused, "s:1") is None
    assert _earn(erased, "s:1") is None
    assert PointsEntry.objects.count() == 0


@db
def test_the_daily_cap_holds_and_the_next_day_earns_again():
    ActivityRuleFactory(cap_per_day=2)
    member = MemberFactory()
    day = timezone.now().replace(hour=12)

    results = [_earn(member, f"s:{i}", when=day) for i in range(3)]
    tomorrow = _earn(member, "s:9", when=day + datetime.timedelta(days=1))

    assert [r is not None for r in results] == [True, True, False]
    assert tomorrow is not None
    assert balance_of(member) == 150
    assert_ledger_consistent()


@db
def test_the_period_cap_holds_within_the_period_only():
    ActivityRuleFactory(cap_per_period=3, period_days=30)
    member = MemberFactory()
    start = timezone.now() - datetime.timedelta(days=60)

    earned = [
        _earn(member, f"s:{i}", when=start + datetime.timedelta(days=i)) is not None
        for i in range(5)
    ]
    after_period = _earn(member, "s:later", when=start + datetime.timedelta(days=31))

    assert earned == [True, True, True, False, False]
    assert after_period is not None
    assert PointsEntry.objects.filter(member=member).count() == 4
    assert_ledger_consistent()


@db
def test_once_per_member_rules_pay_once_whatever_the_cause_key():
    ActivityRuleFactory(activity="profile_completed", points=200, once_per_member=True)
    member = MemberFactory()

    assert _earn(member, "profile", activity="profile_completed").amount == 200
    assert _earn(member, "profile-again", activity="profile_completed") is None
    assert balance_of(member) == 200


@db
def test_unknown_activities_are_a_programming_error():
    with pytest.raises(ValueError, match="Unknown activity"):
        _earn(MemberFactory(), "x", activity="jumping")


@db
@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"points": 0}, "points", "more than zero"),
        ({"points": -5}, "points", "greater than or equal to 0"),
        ({"cap_per_period": 3}, "period_days", "or neither"),
        ({"period_days": 30}, "period_days", "or neither"),
        ({"cap_per_day": 0}, "cap_per_day", "at least 1"),
    ],
)
def test_bad_activity_rules_are_refused_with_a_clear_message(fields, field, message):
    rule = ActivityRule(activity="survey_answered", **{"points": 10, **fields})

    with pytest.raises(ValidationError) as caught:
        rule.full_clean()

    assert message in " ".join(caught.value.message_dict[field])


@db
def test_a_rule_ending_before_it_starts_is_refused():
    now = timezone.now()
    rule = ActivityRule(activity="birthday", points=10, valid_from=now, valid_until=now)

    with pytest.raises(ValidationError) as caught:
        rule.full_clean()

    assert caught.value.message_dict["valid_until"] == ["The rule must end after it starts."]


# --- The members hooks ------------------------------------------------------------------------


@db
def test_completing_the_profile_earns_points_once():
    ActivityRuleFactory(activity="profile_completed", points=100, once_per_member=True)
    member = MemberFactory(birth_date=None)

    member_update(member=member, city="Uppsala")  # still no birth date: not complete
    assert balance_of(member) == 0
    member_update(member=member, birth_date=datetime.date(1990, 5, 17))
    member_update(member=member, postcode="")
    member_update(member=member, postcode="75320")

    assert balance_of(member) == 100
    assert_ledger_consistent()


@db
def test_granting_marketing_consent_earns_once_per_purpose():
    ActivityRuleFactory(activity="consent_given", points=25)
    ConsentTextFactory(purpose="email")
    ConsentTextFactory(purpose="sms")
    ConsentTextFactory(purpose="profiling")
    member = MemberFactory()

    for purpose in ("email", "sms", "profiling"):
        consent_set(member=member, purpose=purpose, granted=True, source="portal")
    consent_set(member=member, purpose="email", granted=False, source="portal")
    consent_set(member=member, purpose="email", granted=True, source="portal")

    keys = sorted(PointsEntry.objects.values_list("idempotency_key", flat=True))
    assert keys == [
        f"activity:consent_given:{member.pk}:consent:email",
        f"activity:consent_given:{member.pk}:consent:sms",
    ]
    assert balance_of(member) == 50
    assert_ledger_consistent()


@db
def test_the_generic_member_activity_hook_reaches_rewards():
    ActivityRuleFactory(activity="event_attended", points=40)
    member = MemberFactory()

    member_activity_run(member=member, activity="event_attended", cause_key="event:7")

    assert balance_of(member) == 40


# --- Birthdays --------------------------------------------------------------------------------


@db
def test_the_birthday_task_twice_on_the_same_day_awards_once():
    ActivityRuleFactory(activity="birthday", points=150)
    today = timezone.localdate()
    birthday = MemberFactory(birth_date=today.replace(year=1985))
    MemberFactory(birth_date=(today + datetime.timedelta(days=1)).replace(year=1985))
    MemberFactory(birth_date=today.replace(year=1990), status="paused")

    assert points_birthday_award_task() == 1
    assert points_birthday_award_task() == 0

    assert list(PointsEntry.objects.values_list("member_id", "amount")) == [(birthday.pk, 150)]
    assert_ledger_consistent()


@db
def test_leap_day_birthdays_are_celebrated_on_28_february_in_other_years():
    ActivityRuleFactory(activity="birthday", points=150)
    leapling = MemberFactory(birth_date=datetime.date(2000, 2, 29))
    feb_28 = MemberFactory(birth_date=datetime.date(1999, 2, 28))

    assert points_birthday_award(today=datetime.date(2027, 2, 28)) == 2
    assert points_birthday_award(today=datetime.date(2028, 2, 28)) == 1  # leap year: not yet
    assert points_birthday_award(today=datetime.date(2028, 2, 29)) == 1

    assert balance_of(leapling) == 300 and balance_of(feb_28) == 300
    assert_ledger_consistent()


@db
def test_no_birthday_rule_means_no_birthday_points():
    MemberFactory(birth_date=timezone.localdate().replace(year=1985))

    assert points_birthday_award() == 0
    assert PointsEntry.objects.count() == 0


# --- Concurrency (PostgreSQL) -----------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_simultaneous_earnings_of_a_capped_activity_respect_the_cap():
    ActivityRuleFactory(cap_per_day=2, points=10)
    member = MemberFactory()
    count = 8
    barrier = threading.Barrier(count)
    results: list = [None] * count

    def worker(index):
        try:
            barrier.wait(timeout=300)
            entry = _earn(member, f"s:{index}")
            results[index] = "ok" if entry is not None else "capped"
        except Exception as error:  # pragma: no cover - reported by the assertion
            results[index] = f"crash: {error!r}"
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=600)

    assert Counter(results) == {"ok": 2, "capped": 6}, results
    assert PointsEntry.objects.filter(member=member).count() == 2
    assert balance_of(member) == 20
    assert_ledger_consistent()


# --- Referrals ----------------------------------------------------------------------------------


@db
def test_signing_up_with_a_referral_link_records_the_referrer(
    client, django_capture_on_commit_callbacks
):
    referrer = MemberFactory(number=member_number_generate())

    assert client.get(f"/accounts/signup/?ref={referrer.number}").status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/accounts/signup/",
            {
                "email": "van@example.se",
                "password1": PASSWORD,
                "password2": PASSWORD,
                "accept_terms": "on",
            },
        )

    assert response.status_code == 302
    friend = Member.objects.get(user__email="van@example.se")
    assert friend.referred_by == referrer


@db
def test_an_unknown_referral_code_is_ignored(client, django_capture_on_commit_callbacks):
    client.get("/accounts/signup/?ref=12345678")
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            "/accounts/signup/",
            {
                "email": "ny@example.se",
                "password1": PASSWORD,
                "password2": PASSWORD,
                "accept_terms": "on",
            },
        )

    assert Member.objects.get(user__email="ny@example.se").referred_by is None


@db
def test_the_referrer_earns_once_on_the_friends_first_purchase_only():
    ActivityRuleFactory(activity="referral_purchase", points=300)
    referrer = MemberFactory()
    friend = MemberFactory(referred_by=referrer)
    first = PurchaseFactory(member=friend, amount=Decimal("200"))
    second = PurchaseFactory(member=friend, amount=Decimal("200"))

    points_earn_for_purchase(purchase=first)
    points_earn_for_purchase(purchase=first)  # sent again
    points_earn_for_purchase(purchase=second)
    points_earn_for_purchase(
        purchase=PurchaseFactory(member=friend, amount=Decimal("-50"), original=first)
    )

    entry = PointsEntry.objects.get(member=referrer)
    assert entry.amount == 300
    assert entry.idempotency_key == f"activity:referral_purchase:{referrer.pk}:referral:{friend.pk}"
    assert entry.cause_id == first.pk
    assert balance_of(referrer) == 300
    assert_ledger_consistent()


@db
def test_a_later_purchase_is_not_a_first_purchase_even_if_the_rule_came_later():
    referrer = MemberFactory()
    friend = MemberFactory(referred_by=referrer)
    points_earn_for_purchase(purchase=PurchaseFactory(member=friend, amount=Decimal("100")))
    ActivityRuleFactory(activity="referral_purchase", points=300)

    points_earn_for_purchase(purchase=PurchaseFactory(member=friend, amount=Decimal("100")))

    assert balance_of(referrer) == 0


@db
def test_the_profile_page_shows_my_referral_link(client):
    user = UserFactory(language="en")
    member = MemberFactory(user=user, email=user.email, language="en")
    client.force_login(user)

    response = client.get("/profile/")

    assert response.status_code == 200
    assert f"/accounts/signup/?ref={member.number}" in response.content.decode()


@db
def test_erasing_a_member_forgets_who_referred_them():
    referrer = MemberFactory()
    friend = MemberFactory(referred_by=referrer)
    member_erase(member=friend, actor=StaffFactory(is_superuser=True))

    friend.refresh_from_db()
    assert friend.referred_by is None and friend.status == "erased"


@db
def test_a_purchase_recorded_through_members_pays_the_referrer_in_the_same_transaction(
    django_capture_on_commit_callbacks,
):
    ActivityRuleFactory(activity="referral_purchase", points=300)
    referrer = MemberFactory()
    friend = MemberFactory(referred_by=referrer)

    with django_capture_on_commit_callbacks(execute=True):
        purchase, created = purchase_record(
            member=friend,
            purchased_at=timezone.now(),
            amount=Decimal("250.00"),
            currency="SEK",
            channel="store",
            store=StoreFactory(),
            source="pos",
            external_id="kvitto-referral-1",
        )

    assert created
    assert balance_of(referrer) == 300
    assert PointsEntry.objects.get(member=referrer).cause_id == purchase.pk
    assert_ledger_consistent()
