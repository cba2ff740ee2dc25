"""Benefit choice: N picks per period from the tier's menu, a choice that stands until the next
period (unused picks may still be filled), refusals that write nothing, the portal page and the
staff list."""

import datetime
import threading
from collections import Counter

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client
from django.urls import reverse

from rewards.models import BenefitChoice, PointsAccount, benefit_period
from rewards.selectors.benefits import benefit_choices_current
from rewards.services.benefits import benefit_choices_set
from tests.members.factories import MemberFactory, StaffFactory

from .factories import TierFactory
from .factories_gamification import BenefitFactory, TierBenefitAllowanceFactory

pytestmark = pytest.mark.django_db

Q1 = datetime.date(2026, 2, 10)
Q2 = datetime.date(2026, 4, 1)


def _member_in(tier, **kwargs):
    member = MemberFactory(**kwargs)
    PointsAccount.objects.create(member=member, tier=tier)
    return member


@pytest.fixture
def silver():
    tier = TierFactory(order=2, name_en="Silver", threshold=2500)
    TierBenefitAllowanceFactory(tier=tier, picks_per_period=2)
    return tier


@pytest.fixture
def menu():
    return [
        BenefitFactory(name_en="Free delivery"),
        BenefitFactory(name_en="Extended returns"),
        BenefitFactory(name_en="Birthday gift"),
    ]


# --- The period ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("today", "start", "next_start"),
    [
        (datetime.date(2026, 1, 1), datetime.date(2026, 1, 1), datetime.date(2026, 4, 1)),
        (datetime.date(2026, 3, 31), datetime.date(2026, 1, 1), datetime.date(2026, 4, 1)),
        (datetime.date(2026, 11, 15), datetime.date(2026, 10, 1), datetime.date(2027, 1, 1)),
    ],
)
def test_the_period_is_the_calendar_quarter_by_default(today, start, next_start):
    period = benefit_period(today=today)
    assert (period.start, period.next_start) == (start, next_start)


def test_the_period_length_follows_the_setting(settings):
    settings.REWARDS_BENEFIT_PERIOD_MONTHS = 6
    period = benefit_period(today=datetime.date(2026, 8, 3))
    assert (period.start, period.next_start) == (
        datetime.date(2026, 7, 1),
        datetime.date(2027, 1, 1),
    )
    settings.REWARDS_BENEFIT_PERIOD_MONTHS = 1
    period = benefit_period(today=datetime.date(2026, 12, 31))
    assert (period.start, period.next_start) == (
        datetime.date(2026, 12, 1),
        datetime.date(2027, 1, 1),
    )


# --- The service --------------------------------------------------------------------------------


def test_a_member_picks_up_to_their_tiers_number_of_benefits(silver, menu):
    member = _member_in(silver)

    choices = benefit_choices_set(member=member, benefit_ids=[menu[0].pk, menu[2].pk], today=Q1)

    assert [c.benefit for c in choices] == [menu[0], menu[2]]
    assert set(BenefitChoice.objects.values_list("period_start", flat=True)) == {
        datetime.date(2026, 1, 1)
    }


def test_more_picks_than_the_tier_grants_are_refused_and_nothing_written(silver, menu):
    member = _member_in(silver)

    with pytest.raises(ValidationError) as error:
        benefit_choices_set(member=member, benefit_ids=[b.pk for b in menu], today=Q1)

    assert error.value.code == "too_many"
    assert "at most 2 benefits" in error.value.messages[0]
    assert BenefitChoice.objects.count() == 0


def test_changing_a_choice_mid_period_is_refused_with_the_date_it_opens(silver, menu):
    member = _member_in(silver)
    benefit_choices_set(member=member, benefit_ids=[menu[0].pk], today=Q1)

    with pytest.raises(ValidationError) as error:
        benefit_choices_set(member=member, benefit_ids=[menu[1].pk], today=Q1)

    assert error.value.code == "locked"
    assert "You can change your choice from" in error.value.messages[0]
    assert "2026" in error.value.messages[0] and "April" in error.value.messages[0]
    assert list(BenefitChoice.objects.values_list("benefit_id", flat=True)) == [menu[0].pk]


def test_unused_picks_can_be_filled_later_in_the_period(silver, menu):
    member = _member_in(silver)
    benefit_choices_set(member=member, benefit_ids=[menu[0].pk], today=Q1)

    choices = benefit_choices_set(member=member, benefit_ids=[menu[0].pk, menu[1].pk], today=Q1)

    assert {c.benefit_id for c in choices} == {menu[0].pk, menu[1].pk}
    assert BenefitChoice.objects.count() == 2


def test_sending_the_same_choice_again_changes_nothing(silver, menu):
    member = _member_in(silver)
    benefit_choices_set(member=member, benefit_ids=[menu[0].pk], today=Q1)
    benefit_choices_set(member=member, benefit_ids=[str(menu[0].pk)], today=Q1)
    assert BenefitChoice.objects.count() == 1


def test_a_new_choice_is_allowed_when_the_next_period_starts(silver, menu):
    member = _member_in(silver)
    benefit_choices_set(member=member, benefit_ids=[menu[0].pk, menu[1].pk], today=Q1)

    choices = benefit_choices_set(member=member, benefit_ids=[menu[2].pk], today=Q2)

    assert [c.benefit for c in choices] == [menu[2]]
    assert [c.benefit for c in benefit_choices_current(member=member, today=Q2)] == [menu[2]]
    assert len(benefit_choices_current(member=member, today=Q1)) == 2  # the old period is kept


def test_a_benefit_of_another_tier_is_refused_and_nothing_written(silver, menu):
    gold = TierFactory(order=3, name_en="Gold", threshold=10000)
    gold_only = BenefitFactory(name_en="Free alterations")
    gold_only.tiers.set([gold])
    member = _member_in(silver)

    with pytest.raises(ValidationError) as error:
        benefit_choices_set(member=member, benefit_ids=[menu[0].pk, gold_only.pk], today=Q1)

    assert error.value.code == "not_available"
    assert "not available in your tier" in error.value.messages[0]
    assert BenefitChoice.objects.count() == 0


def test_inactive_and_unknown_benefits_are_refused(silver, menu):
    member = _member_in(silver)
    menu[1].is_active = False
    menu[1].save()

    for ids in ([menu[1].pk], [999999]):
        with pytest.raises(ValidationError) as error:
            benefit_choices_set(member=member, benefit_ids=ids, today=Q1)
        assert error.value.code == "not_available"
    assert BenefitChoice.objects.count() == 0


@pytest.mark.parametrize("garbage", ["1", None, ["abc"], [-1], [0], [True], [1.5], [["1"]], 12])
def test_garbage_ids_give_a_clear_message_and_write_nothing(silver, menu, garbage):
    member = _member_in(silver)

    with pytest.raises(ValidationError) as error:
        benefit_choices_set(member=member, benefit_ids=garbage, today=Q1)

    assert error.value.messages == ["Choose benefits from the list."]
    assert BenefitChoice.objects.count() == 0


def test_a_tier_without_picks_or_no_tier_at_all_gets_a_clear_refusal(menu):
    bas = TierFactory(order=1, name_en="Bas", threshold=0)
    TierBenefitAllowanceFactory(tier=bas, picks_per_period=0)
    for member in (_member_in(bas), MemberFactory()):
        with pytest.raises(ValidationError) as error:
            benefit_choices_set(member=member, benefit_ids=[menu[0].pk], today=Q1)
        assert error.value.code == "no_picks"
    assert BenefitChoice.objects.count() == 0


def test_an_empty_choice_is_refused(silver, menu):
    with pytest.raises(ValidationError) as error:
        benefit_choices_set(member=_member_in(silver), benefit_ids=[], today=Q1)
    assert error.value.code == "nothing_chosen"


# --- The portal page ----------------------------------------------------------------------------


@pytest.fixture
def portal(user, silver):
    member = _member_in(silver, user=user, email=user.email)
    client = Client()
    client.force_login(user)
    return client, member


def test_the_page_needs_a_login(client):
    response = client.get(reverse("rewards:benefits"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    response = client.post(reverse("rewards:benefits"), {"benefit": ["1"]})
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert BenefitChoice.objects.count() == 0


def test_the_page_shows_the_menu_and_saves_a_choice_with_a_confirmation(portal, menu):
    client, member = portal

    page = client.get(reverse("rewards:benefits")).content.decode()
    assert "Free delivery" in page and "Birthday gift" in page
    assert "you choose 2 benefits each period" in page

    response = client.post(
        reverse("rewards:benefits"), {"benefit": [menu[0].pk, menu[2].pk]}, follow=True
    )

    page = response.content.decode()
    assert "Your benefits for this period are saved" in page
    assert "Your benefits this period" in page
    assert set(member.benefit_choices.values_list("benefit_id", flat=True)) == {
        menu[0].pk,
        menu[2].pk,
    }


def test_a_refused_choice_shows_the_reason_and_writes_nothing(portal, menu):
    client, _member = portal

    response = client.post(reverse("rewards:benefits"), {"benefit": [b.pk for b in menu]})

    assert response.status_code == 200
    assert "You can choose at most 2 benefits." in response.content.decode()
    response = client.post(reverse("rewards:benefits"), {"benefit": ["drop table"]})
    assert "Choose benefits from the list." in response.content.decode()
    assert BenefitChoice.objects.count() == 0


def test_the_post_needs_the_csrf_token(user, silver, menu):
    _member_in(silver, user=user, email=user.email)
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)

    response = client.post(reverse("rewards:benefits"), {"benefit": [menu[0].pk]})

    assert response.status_code == 403
    assert BenefitChoice.objects.count() == 0


def test_a_tier_without_picks_shows_an_empty_state(user, menu):
    bas = TierFactory(order=1, name_en="Bas", threshold=0)
    _member_in(bas, user=user, email=user.email)
    client = Client()
    client.force_login(user)

    page = client.get(reverse("rewards:benefits")).content.decode()

    assert "Your tier, Bas, does not include benefits to choose." in page
    assert 'name="benefit"' not in page


def test_a_member_sees_only_their_own_choices(portal, silver, menu):
    client, _member = portal
    other = _member_in(silver)
    benefit_choices_set(member=other, benefit_ids=[menu[1].pk])

    page = client.get(reverse("rewards:benefits")).content.decode()

    assert "Your benefits this period" not in page


@pytest.fixture
def admin_client(client, settings):
    settings.STAFF_MFA_REQUIRED = False
    client.force_login(StaffFactory(is_superuser=True))
    return client


def test_staff_list_choices_filtered_by_period(admin_client, silver, menu):
    member = _member_in(silver)
    benefit_choices_set(member=member, benefit_ids=[menu[0].pk], today=Q1)
    benefit_choices_set(member=member, benefit_ids=[menu[1].pk], today=Q2)
    url = reverse("admin:rewards_benefitchoice_changelist")

    filtered = admin_client.get(url, {"period": "2026-04-01"})

    assert [c.benefit for c in filtered.context["cl"].result_list] == [menu[1]]
    assert "2026-04-01" in filtered.content.decode()
    everything = admin_client.get(url).context["cl"].result_list
    assert {c.benefit for c in everything} == {menu[0], menu[1]}
    assert admin_client.get(url + "add/").status_code == 403


def test_roles_may_edit_the_menu_and_view_the_choices(client, settings):
    settings.STAFF_MFA_REQUIRED = False
    marketer = StaffFactory()
    marketer.groups.add(Group.objects.get(name="marketer"))
    club_admin = StaffFactory()
    club_admin.groups.add(Group.objects.get(name="club admin"))

    assert marketer.has_perms(["rewards.add_benefit", "rewards.view_benefitchoice"])
    assert not marketer.has_perm("rewards.change_tierbenefitallowance")
    assert club_admin.has_perms(["rewards.change_tierbenefitallowance", "rewards.add_badge"])
    assert not club_admin.has_perm("rewards.change_benefitchoice")
    client.force_login(marketer)
    assert client.get(reverse("admin:rewards_benefit_add")).status_code == 200


# --- Concurrency on PostgreSQL ------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_submissions_cannot_exceed_the_picks():
    tier = TierFactory(order=2, name_en="Silver", threshold=2500)
    TierBenefitAllowanceFactory(tier=tier, picks_per_period=1)
    benefits = [BenefitFactory() for _ in range(10)]
    member = _member_in(tier)
    barrier = threading.Barrier(10)
    results: list = [None] * 10

    def worker(index):
        try:
            barrier.wait(timeout=300)
            benefit_choices_set(member=member, benefit_ids=[benefits[index].pk])
            results[index] = "ok"
        except ValidationError as error:
            results[index] = error.code
        except Exception as error:
            results[index] = f"crash: {error!r}"
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=600)

    assert Counter(results) == {"ok": 1, "locked": 9}, results
    assert BenefitChoice.objects.filter(member=member).count() == 1
