"""Member profiles: phone numbers, membership numbers, create, update, linking a login."""

from __future__ import annotations

import datetime

import pytest
from allauth.account.models import EmailAddress
from django.core.exceptions import ValidationError
from django.utils import timezone

from core.models import AuditLogEntry
from members.models import Member
from members.services.profiles import (
    MemberLinkNeedsVerification,
    member_create,
    member_link_or_create_for_user,
    member_number_generate,
    member_number_is_valid,
    member_update,
    phone_normalize,
)
from tests.members.factories import (
    InterestFactory,
    MemberFactory,
    StaffFactory,
    StoreFactory,
    UserFactory,
)

# --- Phone numbers ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "stored"),
    [
        ("070-123 45 67", "+46701234567"),
        ("0701234567", "+46701234567"),
        ("+46 70 123 45 67", "+46701234567"),
        ("0046701234567", "+46701234567"),
        ("  073 – 123 45 67 ".replace("–", "-"), "+46731234567"),
        ("+47 412 34 567", "+4741234567"),  # Norwegian mobile
        ("", ""),
    ],
)
def test_phone_normalize_stores_e164(raw, stored):
    assert phone_normalize(raw) == stored


def test_phone_normalize_reads_local_numbers_in_the_given_region():
    # a Norwegian number written without a country code, read as Norwegian
    assert phone_normalize("412 34 567", region="NO") == "+4741234567"


@pytest.mark.parametrize(
    "raw",
    [
        "12345",
        "abc",
        "070-123",
        "+46 70 123 45 67 89 00",
        "08-123 456 78",  # a Stockholm landline: cannot receive text messages
        "0701234567\x00",
        "9" * 200,
    ],
)
def test_phone_normalize_refuses_what_is_not_a_mobile_number(raw):
    with pytest.raises(ValidationError) as error:
        phone_normalize(raw)
    assert "mobile" in error.value.messages[0]


# --- Membership numbers ----------------------------------------------------------------------


def test_generated_member_numbers_are_valid_short_and_printable():
    numbers = {member_number_generate() for _ in range(500)}
    assert len(numbers) > 490  # random, not a sequence
    for number in numbers:
        assert len(number) == 8 and number.isdigit() and number[0] != "0"
        assert member_number_is_valid(number)


def test_member_number_check_digit_catches_typos():
    number = member_number_generate()
    # one digit mistyped
    wrong_digit = number[:3] + str((int(number[3]) + 1) % 10) + number[4:]
    assert not member_number_is_valid(wrong_digit)
    # junk
    for junk in ("", "1234567", "123456789", "0" + number[1:], "１２３４５６７８", "1234567a"):
        assert not member_number_is_valid(junk)


@pytest.mark.django_db
def test_member_create_retries_a_colliding_number(monkeypatch):
    # given an existing member holding the first number the generator will produce
    taken = member_number_generate()
    MemberFactory(number=taken)
    fresh = member_number_generate()
    numbers = iter([taken, fresh])
    monkeypatch.setattr("members.services.profiles.member_number_generate", lambda: next(numbers))

    # when a member is created
    member = member_create(source="store", email="ny@example.se")

    # then they got the next free number
    assert member.number == fresh


# --- Create ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_member_create_normalises_and_stores_everything():
    # given a store, interests and a staff contact
    store = StoreFactory(name="Sergels torg")
    running, cooking = InterestFactory(), InterestFactory()
    contact = StaffFactory()

    # when staff enter a member with messy input
    member = member_create(
        source="store",
        first_name="  Kim ",
        last_name="Berg",
        email=" Kim.Berg@Example.SE ",
        phone="070-123 45 67",
        birth_date=datetime.date(1985, 5, 17),
        postcode="113 50",
        city="Stockholm",
        language="en",
        preferred_store=store,
        interests=[running, cooking],
        staff_contact=contact,
        notes="Likes trail running.",
        actor=contact,
    )

    # then it is stored normalised, with a valid number and an audit entry without the notes
    member.refresh_from_db()
    assert member_number_is_valid(member.number)
    assert (member.first_name, member.email, member.phone) == (
        "Kim",
        "kim.berg@example.se",
        "+46701234567",
    )
    assert member.postcode == "11350"
    assert member.preferred_store == store
    assert set(member.interests.all()) == {running, cooking}
    assert member.source == "store" and member.status == "active"
    entry = AuditLogEntry.objects.get(action="member.create", target_id=str(member.pk))
    assert entry.actor == contact
    assert "trail" not in str(entry.details)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "spelling",
    [
        "KIM@EXAMPLE.SE",  # case
        "  kim@example.se  ",  # spaces
        "ｋｉｍ@ｅｘａｍｐｌｅ.ｓｅ",  # full-width Unicode form
        "\u212aim@example.se",  # KELVIN SIGN K, NFKC → K
    ],
)
def test_member_create_refuses_a_duplicate_email_in_another_spelling(spelling):
    # given a member who joined in store
    MemberFactory(email="kim@example.se")

    # when another member is entered with the same address spelled differently
    with pytest.raises(ValidationError) as error:
        member_create(source="store", email=spelling, first_name="Kim")

    # then it is refused on the e-mail field, and nothing is written
    assert "already has the e-mail address kim@example.se" in error.value.message_dict["email"][0]
    assert Member.objects.count() == 1


@pytest.mark.django_db
def test_member_create_reports_every_bad_field_and_writes_nothing():
    # when everything that can be wrong is wrong
    with pytest.raises(ValidationError) as error:
        member_create(
            source="carrier pigeon",
            email="not an address",
            phone="12345",
            birth_date=timezone.localdate() + datetime.timedelta(days=1),
            postcode="!!!",
            language="xx",
            first_name="x" * 151,
        )

    # then each field says what is wrong, and nothing was stored
    messages = error.value.message_dict
    assert set(messages) == {
        "source",
        "email",
        "phone",
        "birth_date",
        "postcode",
        "language",
        "first_name",
    }
    assert "future" in messages["birth_date"][0]
    assert "valid mobile" in messages["phone"][0]
    assert Member.objects.count() == 0
    assert not AuditLogEntry.objects.filter(action="member.create").exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("birth_date", "message"),
    [
        (datetime.date(1899, 12, 31), "before 1900"),
        ("31/12/1980", "YYYY-MM-DD"),
    ],
)
def test_member_create_refuses_absurd_birth_dates(birth_date, message):
    with pytest.raises(ValidationError) as error:
        member_create(source="store", email="a@example.se", birth_date=birth_date)
    assert message in error.value.message_dict["birth_date"][0]


@pytest.mark.django_db
def test_member_create_refuses_a_closed_store_and_a_non_staff_contact():
    closed = StoreFactory(is_active=False)
    with pytest.raises(ValidationError) as error:
        member_create(source="store", preferred_store=closed, staff_contact=UserFactory())
    assert set(error.value.message_dict) == {"preferred_store", "staff_contact"}


# --- Update ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_member_update_changes_only_what_changed_and_logs_field_names_not_notes():
    # given a member
    member = MemberFactory(first_name="Kim", notes="")
    staff = StaffFactory()
    interest = InterestFactory()

    # when staff change the phone, the notes and the interests, and "change" the name to itself
    member_update(
        member=member,
        actor=staff,
        first_name="Kim",
        phone="0731234567",
        notes="Secret: prefers calls after 17.",
        interests=[interest],
    )

    # then the values are stored, and the log names the changed fields without the notes' text
    member.refresh_from_db()
    assert member.phone == "+46731234567"
    assert list(member.interests.all()) == [interest]
    entry = AuditLogEntry.objects.get(action="member.update")
    assert entry.details == {"fields": ["interests", "notes", "phone"]}
    assert "Secret" not in str(entry.details) and "Secret" not in entry.target_repr


@pytest.mark.django_db
def test_member_update_with_nothing_changed_writes_nothing():
    member = MemberFactory(first_name="Kim")
    before = Member.objects.get(pk=member.pk).updated_at

    member_update(member=member, first_name=" Kim ")

    assert Member.objects.get(pk=member.pk).updated_at == before
    assert not AuditLogEntry.objects.exists()


@pytest.mark.django_db
def test_member_update_validates_like_create_and_writes_nothing_on_error():
    # given two members
    MemberFactory(email="taken@example.se")
    member = MemberFactory(email="mine@example.se", city="Lund")

    # when one is given the other's address (another spelling), a bad phone and a new city
    with pytest.raises(ValidationError) as error:
        member_update(member=member, email="Taken@Example.se ", phone="nope", city="Malmö")

    # then nothing changed, not even the valid city
    assert set(error.value.message_dict) == {"email", "phone"}
    member.refresh_from_db()
    assert (member.email, member.city) == ("mine@example.se", "Lund")


@pytest.mark.django_db
def test_member_update_keeps_own_email_and_refuses_unknown_fields_and_erasure():
    member = MemberFactory(email="mine@example.se")
    # keeping one's own address is not a duplicate
    member_update(member=member, email="MINE@example.se")
    # fields that are not editable are a programming error
    with pytest.raises(TypeError):
        member_update(member=member, number="12345678")
    # erasure is the GDPR service's job, not a status change
    with pytest.raises(ValidationError) as error:
        member_update(member=member, status="erased")
    assert "status" in error.value.message_dict


@pytest.mark.django_db
def test_member_update_of_language_follows_to_the_login():
    user = UserFactory(language="sv")
    member = MemberFactory(user=user, language="sv")

    member_update(member=member, language="en")

    user.refresh_from_db()
    assert user.language == "en"


# --- Linking a login -------------------------------------------------------------------------


@pytest.mark.django_db
def test_link_or_create_links_the_till_member_with_the_same_email():
    # given a member who joined at the till, and a verified login with another spelling
    till = MemberFactory(email="kim@example.se", source="store", first_name="Kim")
    user = UserFactory(email="kim@example.se")

    # when the login is linked
    member = member_link_or_create_for_user(user=user)

    # then it is the till member, now with the login
    assert member.pk == till.pk
    till.refresh_from_db()
    assert till.user == user and till.source == "store"
    assert Member.objects.count() == 1
    assert AuditLogEntry.objects.filter(action="member.link").exists()
    # and asking again gives the same member
    assert member_link_or_create_for_user(user=user).pk == till.pk


@pytest.mark.django_db
def test_link_or_create_waits_for_verification_before_linking():
    # given a till member, and a login with the same address that has not been confirmed
    MemberFactory(email="kim@example.se")
    user = UserFactory(email="kim@example.se", verified=False)
    EmailAddress.objects.create(user=user, email=user.email, primary=True, verified=False)

    # then linking is refused until the address is proved
    with pytest.raises(MemberLinkNeedsVerification):
        member_link_or_create_for_user(user=user)
    assert not Member.objects.filter(user=user).exists()


@pytest.mark.django_db
def test_link_or_create_creates_a_portal_member_and_skips_erased_ones():
    # given an erased member who once had the address (erasure normally blanks it)
    MemberFactory(email="old@example.se", status="erased", erased_at=timezone.now())
    user = UserFactory(email="old@example.se", language="en")

    # when the login needs a member
    member = member_link_or_create_for_user(user=user)

    # then a new portal member is created, not the erased one revived
    assert member.source == "portal" and member.user == user
    assert member.status == "active" and member.language == "en"
    assert member_number_is_valid(member.number)
    assert Member.objects.filter(user=user).count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_creates_with_one_email_give_one_member_and_a_clear_error():
    import threading

    from django.db import connection, transaction

    from tests.pg_waits import backend_pid, wait_until_a_session_is_blocked_by

    # given a first writer that has inserted kim@example.se but not committed yet
    inserted, release = threading.Event(), threading.Event()
    outcome: dict[str, object] = {}

    def first_writer() -> None:
        try:
            with transaction.atomic():
                outcome["first"] = member_create(source="store", email="kim@example.se")
                outcome["first_pid"] = backend_pid()
                inserted.set()
                release.wait()
        finally:
            connection.close()

    def second_writer() -> None:
        try:
            member_create(source="api", email="KIM@example.se")
        except ValidationError as error:
            outcome["second"] = error
        finally:
            connection.close()

    first = threading.Thread(target=first_writer)
    first.start()
    assert inserted.wait(300)
    # when a second writer passes the uniqueness check (it cannot see the uncommitted row) and
    # waits on the unique index, and the first then commits
    second = threading.Thread(target=second_writer)
    second.start()
    try:
        second_waited = wait_until_a_session_is_blocked_by(outcome["first_pid"])
    finally:
        release.set()
        first.join(300)
        second.join(300)
    assert second_waited
    assert not first.is_alive() and not second.is_alive()

    # then one member exists and the second writer got the e-mail message, not a crash
    assert Member.objects.filter(email="kim@example.se").count() == 1
    assert isinstance(outcome.get("second"), ValidationError)
    assert "email" in outcome["second"].message_dict
