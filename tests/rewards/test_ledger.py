"""The points ledger: award, debit oldest-lot-first, reverse, adjust, expire, reconcile."""

import datetime
from decimal import Decimal
from io import StringIO

import pytest
from django.contrib.auth.models import Permission
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from core.models import AuditLogEntry
from rewards.models import PointsAccount, PointsEntry, PointsLot, PointsLotDraw
from rewards.services.ledger import (
    Cause,
    points_adjust,
    points_award,
    points_debit,
    points_expire_due,
    points_reverse,
)
from tests.members.factories import MemberFactory, StaffFactory

from .helpers import assert_ledger_consistent, balance_of

pytestmark = pytest.mark.django_db


def _rows() -> tuple[int, int, int, int, int]:
    return (
        PointsEntry.objects.count(),
        PointsLot.objects.count(),
        PointsLotDraw.objects.count(),
        PointsAccount.objects.count(),
        AuditLogEntry.objects.count(),
    )


@pytest.fixture
def adjuster(db):
    staff = StaffFactory()
    staff.user_permissions.add(Permission.objects.get(codename="adjust_points"))
    return type(staff).objects.get(pk=staff.pk)


def test_award_appends_an_entry_a_lot_and_the_balance():
    member = MemberFactory()

    entry = points_award(
        member=member, points=300, reason="Welcome bonus", idempotency_key="welcome:1"
    )

    assert entry.kind == "earn" and entry.amount == 300 and entry.qualifying == 300
    lot = entry.lot
    assert lot.amount == lot.remaining == 300
    # Default expiry: 31 December of the second calendar year after earning.
    assert lot.expires_on == datetime.date(timezone.localdate().year + 2, 12, 31)
    assert balance_of(member) == 300
    assert_ledger_consistent()


def test_award_twice_with_the_same_key_earns_once():
    member = MemberFactory()

    first = points_award(member=member, points=50, reason="Survey", idempotency_key="survey:7")
    second = points_award(member=member, points=50, reason="Survey", idempotency_key="survey:7")

    assert first.pk == second.pk
    assert PointsEntry.objects.count() == 1
    assert balance_of(member) == 50


def test_a_key_used_for_another_member_is_refused():
    points_award(member=MemberFactory(), points=5, reason="x", idempotency_key="shared")
    with pytest.raises(ValidationError, match="another member"):
        points_award(member=MemberFactory(), points=5, reason="x", idempotency_key="shared")


def test_debit_draws_from_the_oldest_lot_first():
    member = MemberFactory()
    today = timezone.localdate()
    late = points_award(
        member=member,
        points=100,
        reason="late",
        idempotency_key="a",
        expires_on=today + datetime.timedelta(days=300),
    )
    soon = points_award(
        member=member,
        points=100,
        reason="soon",
        idempotency_key="b",
        expires_on=today + datetime.timedelta(days=10),
    )

    debit = points_debit(member=member, points=150, reason="Gift card", idempotency_key="d")

    draws = {draw.lot_id: draw.amount for draw in debit.draws.all()}
    assert draws == {soon.lot.pk: 100, late.lot.pk: 50}
    late.lot.refresh_from_db()
    assert late.lot.remaining == 50
    assert balance_of(member) == 50
    assert_ledger_consistent()


def test_debit_with_too_few_points_is_refused_and_writes_nothing():
    member = MemberFactory()
    points_award(member=member, points=99, reason="x", idempotency_key="a")
    before = _rows()

    with pytest.raises(ValidationError) as error:
        points_debit(member=member, points=100, reason="y", idempotency_key="b")

    assert error.value.code == "too_few_points"
    assert "100 needed, 99 available" in error.value.messages[0]
    assert _rows() == before


def test_expired_points_cannot_be_spent_even_before_the_expiry_job_runs():
    member = MemberFactory()
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    points_award(member=member, points=100, reason="old", idempotency_key="a", expires_on=yesterday)
    points_award(member=member, points=30, reason="new", idempotency_key="b")

    with pytest.raises(ValidationError, match="30 available"):
        points_debit(member=member, points=100, reason="y", idempotency_key="c")

    # The refusal rolled back the inline expiry too; the job then expires the lot once.
    assert PointsEntry.objects.filter(kind="expire").count() == 0
    assert points_expire_due().points == 100
    assert balance_of(member) == 30
    assert_ledger_consistent()


def test_expiry_job_twice_the_same_day_expires_nothing_the_second_time():
    members = MemberFactory.create_batch(3)
    for index, member in enumerate(members):
        points_award(member=member, points=100 + index, reason="x", idempotency_key=f"e{index}")
        points_award(
            member=member,
            points=7,
            reason="keeps",
            idempotency_key=f"k{index}",
            expires_on=datetime.date(2999, 1, 1),
        )
    points_debit(member=members[0], points=40, reason="spent", idempotency_key="spend")
    after_expiry = datetime.date(timezone.localdate().year + 3, 1, 1)

    first = points_expire_due(today=after_expiry, batch_size=2)
    second = points_expire_due(today=after_expiry)

    assert (first.lots, first.points, first.members) == (3, 60 + 101 + 102, 3)
    assert (second.lots, second.points) == (0, 0)
    assert [balance_of(member) for member in members] == [7, 7, 7]
    assert PointsEntry.objects.filter(kind="expire").count() == 3
    assert_ledger_consistent()


def test_expiry_on_the_last_day_keeps_the_points():
    member = MemberFactory()
    entry = points_award(member=member, points=10, reason="x", idempotency_key="a")

    assert points_expire_due(today=entry.lot.expires_on).lots == 0
    assert points_expire_due(today=entry.lot.expires_on + datetime.timedelta(days=1)).lots == 1


def test_reversing_a_debit_returns_the_points_to_the_lots_they_came_from():
    member = MemberFactory()
    award = points_award(member=member, points=100, reason="x", idempotency_key="a")
    debit = points_debit(member=member, points=60, reason="y", idempotency_key="b")

    reversal = points_reverse(entry=debit, reason="Mistake")
    again = points_reverse(entry=debit)

    assert reversal.pk == again.pk and reversal.amount == 60 and reversal.kind == "reverse"
    award.lot.refresh_from_db()
    assert award.lot.remaining == 100
    assert not PointsLot.objects.filter(entry=reversal).exists()
    assert balance_of(member) == 100
    assert_ledger_consistent()


def test_reversing_a_debit_whose_lot_expired_meanwhile_makes_a_new_lot():
    member = MemberFactory()
    award = points_award(member=member, points=100, reason="x", idempotency_key="a")
    debit = points_debit(member=member, points=60, reason="y", idempotency_key="b")
    PointsLot.objects.filter(pk=award.lot.pk).update(
        expires_on=timezone.localdate() - datetime.timedelta(days=1)
    )
    points_expire_due()

    reversal = points_reverse(entry=debit)

    assert reversal.lot.amount == 60
    assert reversal.lot.expires_on == timezone.localdate() + datetime.timedelta(days=90)
    assert balance_of(member) == 60
    assert_ledger_consistent()


def test_a_lot_expired_by_a_run_for_a_later_day_does_not_come_back_on_a_reversal():
    # given a lot valid until tomorrow, part of it spent, and an expiry run for the day after
    member = MemberFactory()
    today = timezone.localdate()
    points_award(
        member=member,
        points=100,
        reason="x",
        idempotency_key="a",
        expires_on=today + datetime.timedelta(days=1),
    )
    debit = points_debit(member=member, points=60, reason="y", idempotency_key="b")
    points_expire_due(today=today + datetime.timedelta(days=2))

    # when the debit is reversed today (the lot's date still says it is valid)
    reversal = points_reverse(entry=debit)

    # then the points go into a new lot, and a later expiry run expires each lot once
    assert reversal.lot is not None and reversal.lot.amount == 60
    points_expire_due(today=today + datetime.timedelta(days=10))
    assert PointsEntry.objects.filter(idempotency_key__startswith="expire:lot:").count() == 1
    assert_ledger_consistent()


def test_reversing_a_spent_credit_leaves_debt_that_later_earnings_pay_off():
    member = MemberFactory()
    award = points_award(member=member, points=100, reason="x", idempotency_key="a")
    points_debit(member=member, points=80, reason="y", idempotency_key="b")

    reversal = points_reverse(entry=award, reason="Fraud")

    assert (reversal.amount, reversal.debt_change, reversal.qualifying) == (-20, 80, -100)
    account = PointsAccount.objects.get(member=member)
    assert (account.balance, account.debt) == (0, 80)

    payoff = points_award(member=member, points=50, reason="z", idempotency_key="c")
    assert (payoff.amount, payoff.debt_change) == (0, -50)
    assert not PointsLot.objects.filter(entry=payoff).exists()
    points_award(member=member, points=50, reason="z", idempotency_key="d")
    account.refresh_from_db()
    assert (account.balance, account.debt) == (20, 0)
    assert_ledger_consistent()


@pytest.mark.parametrize(
    "points, code",
    [
        (0, "points_zero"),
        (-5, "points_negative"),
        (1.5, "points_fractional"),
        (Decimal("2.25"), "points_fractional"),
        ("100", "points_not_number"),
        (b"100", "points_not_number"),
        (True, "points_not_number"),
        (None, "points_not_number"),
        (float("nan"), "points_not_number"),
        (float("inf"), "points_not_number"),
        (10**12, "points_too_many"),
        (10_000_001, "points_too_many"),
    ],
)
def test_bad_amounts_are_refused_with_a_clear_message_and_nothing_written(points, code):
    member = MemberFactory()
    points_award(member=member, points=10, reason="x", idempotency_key="seed")
    before = _rows()

    for service in (points_award, points_debit):
        with pytest.raises(ValidationError) as error:
            service(member=member, points=points, reason="r", idempotency_key=f"k-{code}")
        assert error.value.code == code
        assert error.value.messages[0]

    assert _rows() == before


def test_whole_decimals_and_floats_are_accepted():
    member = MemberFactory()
    points_award(member=member, points=Decimal("20"), reason="x", idempotency_key="a")
    points_award(member=member, points=5.0, reason="x", idempotency_key="b")
    assert balance_of(member) == 25


@pytest.mark.parametrize("key", ["", "   ", None, 17, "x" * 201, "tab\there"])
def test_bad_idempotency_keys_are_refused(key):
    with pytest.raises(ValidationError, match="idempotency key"):
        points_award(member=MemberFactory(), points=1, reason="x", idempotency_key=key)
    assert PointsEntry.objects.count() == 0


def test_a_reason_is_required():
    with pytest.raises(ValidationError, match="reason"):
        points_award(member=MemberFactory(), points=1, reason="  ", idempotency_key="a")


def test_staff_adjust_both_ways_and_is_audited(adjuster):
    member = MemberFactory()

    plus = points_adjust(
        member=member,
        points=500,
        reason="Apology for the late delivery",
        actor=adjuster,
        idempotency_key="adj-1",
    )
    minus = points_adjust(
        member=member,
        points=-200,
        reason="Double registration",
        actor=adjuster,
        idempotency_key="adj-2",
    )

    assert (plus.kind, plus.amount, plus.actor) == ("adjust", 500, adjuster)
    assert (minus.kind, minus.amount, minus.qualifying) == ("adjust", -200, 0)
    assert balance_of(member) == 300
    log = AuditLogEntry.objects.filter(action="points.adjust").order_by("id")
    assert [entry.details["points"] for entry in log] == [500, -200]
    assert_ledger_consistent()


def test_adjusting_an_erased_member_is_refused_and_writes_nothing(adjuster):
    member = MemberFactory(status="erased", erased_at=timezone.now())
    before = _rows()

    with pytest.raises(ValidationError) as error:
        points_adjust(member=member, points=100, reason="x", actor=adjuster, idempotency_key="a")

    assert error.value.code == "member_erased"
    assert _rows() == before


def test_adjusting_more_than_the_balance_away_is_refused(adjuster):
    member = MemberFactory()
    points_adjust(member=member, points=10, reason="x", actor=adjuster, idempotency_key="a")
    before = _rows()

    with pytest.raises(ValidationError, match="Not enough points"):
        points_adjust(member=member, points=-11, reason="x", actor=adjuster, idempotency_key="b")

    assert _rows() == before


def test_adjusting_needs_the_permission():
    staff = StaffFactory()
    with pytest.raises(PermissionError):
        points_adjust(
            member=MemberFactory(), points=10, reason="x", actor=staff, idempotency_key="a"
        )
    assert PointsEntry.objects.count() == 0


def test_the_cause_is_recorded_as_a_generic_reference():
    member = MemberFactory()
    entry = points_award(
        member=member, points=10, reason="x", idempotency_key="a", cause=Cause(obj=member)
    )
    assert entry.cause_type.model == "member" and entry.cause_id == member.pk
    labelled = points_award(
        member=member,
        points=10,
        reason="x",
        idempotency_key="b",
        cause=Cause(label="profile_completed"),
    )
    assert labelled.cause_label == "profile_completed" and labelled.cause_type is None


def test_reason_shown_to_the_member_is_translated_with_its_details():
    member = MemberFactory()
    entry = points_award(
        member=member,
        points=10,
        reason="Redeemed: %(reward)s",
        idempotency_key="a",
        reason_params={"reward": {"sv": "Presentkort", "en": "Gift card"}},
    )
    from django.utils import translation

    with translation.override("en"):
        assert entry.reason_display == "Redeemed: Gift card"
    with translation.override("sv"):
        assert entry.reason_display.endswith("Presentkort")


def test_reconcile_command_passes_on_a_clean_ledger_and_lists_broken_members():
    member, other = MemberFactory(), MemberFactory()
    points_award(member=member, points=10, reason="x", idempotency_key="a")
    points_award(member=other, points=10, reason="x", idempotency_key="b")
    out = StringIO()
    call_command("points_reconcile", stdout=out)
    assert "no differences" in out.getvalue()

    # Corrupt the stored balance and a lot behind the services' back.
    PointsAccount.objects.filter(member=member).update(balance=999)
    PointsLot.objects.filter(member=other).update(remaining=3)
    err = StringIO()
    with pytest.raises(CommandError) as error:
        call_command("points_reconcile", stderr=err)

    assert error.value.returncode == 1
    assert str(member.pk) in str(error.value) and str(other.pk) in str(error.value)
    assert "balance 999 but ledger sum 10" in err.getvalue()
    assert "lot" in err.getvalue()


def test_database_refuses_a_negative_balance():
    from django.db import IntegrityError, transaction

    member = MemberFactory()
    points_award(member=member, points=10, reason="x", idempotency_key="a")
    with pytest.raises(IntegrityError), transaction.atomic():
        PointsAccount.objects.filter(member=member).update(balance=-1)
