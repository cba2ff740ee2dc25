"""Purchases: validation, returns, once per (source, external id), hooks in the transaction."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from members import hooks
from members.models import Member, Purchase, PurchaseLine
from members.services.purchases import purchase_record
from tests.members.factories import MemberFactory, PurchaseFactory, StoreFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def store():
    return StoreFactory(code="sthlm")


@pytest.fixture
def member():
    return MemberFactory(number="12345674", email="anna@example.se")


@pytest.fixture
def calls(monkeypatch):
    """A hook that records each purchase it is called with (registered for this test only)."""
    seen: list[Purchase] = []
    monkeypatch.setattr(hooks, "_purchase_recorded", [lambda *, purchase: seen.append(purchase)])
    return seen


def _record(member, store, /, **overrides):
    values = {
        "member": member,
        "purchased_at": timezone.now() - datetime.timedelta(days=1),
        "amount": Decimal("499.00"),
        "currency": "SEK",
        "channel": "store",
        "store": store,
        "source": "pos",
        "external_id": "kvitto-1",
    }
    values.update(overrides)
    return purchase_record(**values)


def _errors(exc_info) -> dict:
    return exc_info.value.message_dict


def test_a_purchase_is_stored_with_its_lines_and_runs_the_hooks(member, store, calls):
    # given lines that add up to the amount
    lines = [
        {"product": "Löparsko", "category": "Skor", "quantity": 1, "amount": "399.00"},
        {"product": "Strumpor", "category": "Kläder", "quantity": "2", "amount": "100"},
    ]

    # when it is recorded
    purchase, created = _record(member, store, lines=lines)

    # then it is stored once with both lines and the hook saw it
    assert created is True
    assert purchase.member == member and purchase.amount == Decimal("499.00")
    assert sorted(purchase.lines.values_list("product", "amount")) == [
        ("Löparsko", Decimal("399.00")),
        ("Strumpor", Decimal("100.00")),
    ]
    assert calls == [purchase]


def test_the_same_source_and_external_id_is_stored_once_and_runs_no_hook_again(
    member, store, calls
):
    first, created = _record(member, store)

    # when the till sends it again
    again, created_again = _record(member, store)

    # then the stored purchase is returned and nothing new is written
    assert created and not created_again
    assert again.pk == first.pk
    assert Purchase.objects.count() == 1
    assert calls == [first]


def test_the_same_external_id_from_another_source_is_another_purchase(member, store):
    _record(member, store)
    other, created = _record(member, None, source="eshop", channel="online")
    assert created and Purchase.objects.count() == 2 and other.store is None


def test_a_resend_that_describes_another_purchase_is_refused(member, store):
    _record(member, store)
    with pytest.raises(ValidationError) as exc:
        _record(member, store, amount="10.00")
    assert "external_id" in _errors(exc)
    assert Purchase.objects.count() == 1


def test_the_member_and_store_may_be_named_by_number_email_and_code(member, store):
    by_number, _ = _record("12345674", "sthlm")
    by_email, _ = _record(" Anna@Example.SE ", "sthlm", external_id="kvitto-2")
    assert by_number.member == member == by_email.member
    assert by_number.store == store


@pytest.mark.parametrize(
    ("overrides", "field", "fragment"),
    [
        ({"amount": "0"}, "amount", "may not be 0"),
        ({"amount": "abc"}, "amount", "number"),
        ({"amount": "1.005"}, "amount", "2 decimals"),
        ({"amount": "-10"}, "amount", "return"),
        ({"currency": "USD"}, "currency", "USD"),
        ({"channel": "phone"}, "channel", "online"),
        ({"store": None}, "store", "needs the store"),
        ({"store": "nowhere"}, "store", "nowhere"),
        ({"member": "99999997"}, "member", "99999997"),
        ({"member": "nobody@example.se"}, "member", "nobody@example.se"),
        ({"member": None}, "member", "required"),
        ({"source": ""}, "source", "required"),
        ({"external_id": ""}, "external_id", "required"),
        ({"purchased_at": "yesterday"}, "purchased_at", "date and time"),
        (
            {"purchased_at": timezone.now() + datetime.timedelta(days=2)},
            "purchased_at",
            "future",
        ),
        (
            {"lines": [{"product": "Sko", "amount": "100"}]},
            "lines",
            "add up to 100.00",
        ),
        ({"lines": [{"product": "", "amount": "x"}]}, "lines", "Line 1"),
        ({"lines": "Sko"}, "lines", "list"),
    ],
)
def test_bad_input_is_refused_with_a_message_naming_the_field(
    member, store, calls, overrides, field, fragment
):
    # when a purchase with one bad value is recorded
    with pytest.raises(ValidationError) as exc:
        _record(member, store, **overrides)

    # then the field is named, the message is specific, and nothing is written or hooked
    assert field in _errors(exc), _errors(exc)
    assert fragment in " ".join(_errors(exc)[field])
    assert Purchase.objects.count() == 0 and PurchaseLine.objects.count() == 0
    assert calls == []


def test_online_purchases_need_no_store_and_currency_defaults(member, settings):
    settings.DEFAULT_CURRENCY = "SEK"
    purchase, _ = _record(member, None, channel="online", currency="")
    assert purchase.store is None and purchase.currency == "SEK"


def test_an_erased_member_gets_no_purchases(store):
    erased = MemberFactory(status=Member.Status.ERASED, erased_at=timezone.now())
    with pytest.raises(ValidationError) as exc:
        _record(erased, store)
    assert "erased" in " ".join(_errors(exc)["member"])


# --- Returns ---------------------------------------------------------------------------------


def test_a_return_is_a_negative_amount_linked_to_the_original(member, store, calls):
    original, _ = _record(member, store)

    returned, created = _record(
        member, store, amount="-199.00", external_id="retur-1", original=original
    )

    assert created and returned.is_return and returned.original == original
    assert returned.amount == Decimal("-199.00")
    assert calls == [original, returned]


def test_returns_may_not_exceed_what_is_left_of_the_original(member, store):
    original, _ = _record(member, store)
    _record(member, store, amount="-400", external_id="retur-1", original=original)

    # when a second return asks for more than the 99.00 left
    with pytest.raises(ValidationError) as exc:
        _record(member, store, amount="-100", external_id="retur-2", original=original)

    # then it is refused and says what is left
    assert "99.00" in " ".join(_errors(exc)["amount"])
    # and exactly what is left may still be returned
    _record(member, store, amount="-99", external_id="retur-3", original=original)
    assert original.returns.count() == 2


def test_a_return_must_belong_to_the_member_of_the_original(member, store):
    original = PurchaseFactory(member=MemberFactory(), store=store)
    with pytest.raises(ValidationError) as exc:
        _record(member, store, amount="-10", external_id="retur-1", original=original)
    assert "another member" in " ".join(_errors(exc)["original"])


def test_a_return_must_be_negative_and_not_of_a_return(member, store):
    original, _ = _record(member, store)
    with pytest.raises(ValidationError) as exc:
        _record(member, store, amount="10", external_id="retur-1", original=original)
    assert "negative" in " ".join(_errors(exc)["amount"])

    first_return, _ = _record(member, store, amount="-10", external_id="retur-2", original=original)
    with pytest.raises(ValidationError) as exc:
        _record(member, store, amount="-5", external_id="retur-3", original=first_return)
    assert "original" in _errors(exc)


def test_a_return_keeps_the_currency_of_the_original(member, store):
    original, _ = _record(member, store, currency="EUR")
    with pytest.raises(ValidationError) as exc:
        _record(
            member, store, amount="-1", currency="SEK", external_id="retur-1", original=original
        )
    assert "EUR" in " ".join(_errors(exc)["currency"])


def test_a_hook_that_fails_rolls_the_purchase_back(member, store, monkeypatch):
    def broken(*, purchase):
        raise RuntimeError("rewards is down")

    monkeypatch.setattr(hooks, "_purchase_recorded", [broken])

    with pytest.raises(RuntimeError):
        _record(member, store, lines=[{"product": "Sko", "amount": "499"}])

    assert Purchase.objects.count() == 0 and PurchaseLine.objects.count() == 0


def test_register_ignores_a_function_registered_twice(monkeypatch):
    monkeypatch.setattr(hooks, "_purchase_recorded", [])

    def func(*, purchase):
        return None

    hooks.purchase_recorded_register(func)
    hooks.purchase_recorded_register(func)

    assert hooks.purchase_recorded_hooks() == (func,)
