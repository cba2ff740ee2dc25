"""CSV imports of members and purchases: every row checked first, nothing written until the
confirmation, bad rows skipped only on request, re-importing the same file changes nothing."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from core.models import AuditLogEntry
from members.models import ConsentEvent, Member, MemberImport, Purchase
from members.services.imports import member_import_confirm, member_import_upload
from tests.members.factories import (
    ConsentTextFactory,
    InterestFactory,
    MemberFactory,
    StaffFactory,
    StoreFactory,
)

pytestmark = pytest.mark.django_db

MEMBER_HEADER = (
    "number,first_name,last_name,email,phone,birth_date,postcode,city,language,"
    "preferred_store,interests,consent_email,consent_sms\n"
)


def _upload(text: str | bytes, kind: str = "members", actor=None) -> MemberImport:
    data = text.encode("utf-8") if isinstance(text, str) else text
    return member_import_upload(
        kind=kind, filename="file.csv", data=data, actor=actor or StaffFactory()
    )


def _errors(member_import: MemberImport) -> list[tuple[int, str]]:
    return [(e["line"], e["field"]) for e in member_import.errors]


@pytest.fixture
def catalogue(db):
    ConsentTextFactory(purpose="email")
    ConsentTextFactory(purpose="sms")
    return {
        "store": StoreFactory(code="sthlm-city"),
        "running": InterestFactory(slug="lopning", name="Löpning"),
        "cooking": InterestFactory(slug="matlagning", name="Matlagning"),
    }


GOOD_MEMBERS = (
    MEMBER_HEADER + ",Åsa,Öberg,asa@example.se,070-123 45 67,1980-05-01,113 50,Malmö,sv,sthlm-city,"
    "lopning;matlagning,yes,no\n" + ",Bo,Ek,BO@Example.se,,,,,en,,,ja,\n"
)


def test_clean_member_file_previews_without_writing_then_imports_on_confirm(catalogue):
    # given a clean file
    # when uploaded
    member_import = _upload(GOOD_MEMBERS)
    # then it is checked, counted, and nothing but the import row is written
    assert member_import.status == MemberImport.Status.PREVIEWED
    assert (member_import.row_count, member_import.valid_count) == (2, 2)
    assert member_import.created_count == 2 and member_import.errors == []
    assert Member.objects.count() == 0 and ConsentEvent.objects.count() == 0
    assert AuditLogEntry.objects.filter(action="member.create").count() == 0

    # when confirmed
    done = member_import_confirm(member_import=member_import, actor=member_import.uploaded_by)

    # then both members exist with normalised values, interests and import consents
    assert done.status == MemberImport.Status.IMPORTED and done.created_count == 2
    assert bytes(done.content) == b""  # the file is not kept after the import
    asa = Member.objects.get(email="asa@example.se")
    assert (asa.phone, asa.postcode, asa.city, asa.source) == (
        "+46701234567",
        "11350",
        "Malmö",
        "import",
    )
    assert asa.birth_date == datetime.date(1980, 5, 1)
    assert asa.preferred_store == catalogue["store"]
    assert {i.slug for i in asa.interests.all()} == {"lopning", "matlagning"}
    assert list(asa.consent_events.values_list("purpose", "granted", "source")) == [
        ("email", True, "import")
    ]
    assert Member.objects.filter(email="bo@example.se").exists()
    assert AuditLogEntry.objects.filter(action="member_import.confirm").count() == 1


def test_reimporting_the_same_file_changes_nothing(catalogue):
    # given a file already imported
    first = _upload(GOOD_MEMBERS)
    member_import_confirm(member_import=first, actor=first.uploaded_by)
    before = list(Member.objects.order_by("pk").values())
    events = ConsentEvent.objects.count()

    # when the same file is imported again
    again = member_import_confirm(member_import=_upload(GOOD_MEMBERS), actor=first.uploaded_by)

    # then every row is unchanged and nothing was written
    assert (again.created_count, again.updated_count, again.unchanged_count) == (0, 0, 2)
    assert list(Member.objects.order_by("pk").values()) == before
    assert ConsentEvent.objects.count() == events


def test_reimport_updates_only_values_that_differ_and_matches_by_number(catalogue):
    # given an existing member
    member = MemberFactory(email="kim@example.se", city="Lund", first_name="Kim")
    # when a file names them by number with a new city and a blank first name
    text = MEMBER_HEADER + f"{member.number},,Berg,,,,,Umeå,,,,,\n"
    member_import = member_import_confirm(member_import=_upload(text), actor=StaffFactory())
    # then only what differs is changed, a blank cell keeps the value
    member.refresh_from_db()
    assert member_import.updated_count == 1
    assert (member.first_name, member.last_name, member.city) == ("Kim", "Berg", "Umeå")
    assert member.email == "kim@example.se"


def test_errors_are_reported_per_row_with_line_numbers_and_nothing_is_written(catalogue):
    # given a file with a good row, and bad rows on known lines (line 1 is the header)
    future = (timezone.localdate() + datetime.timedelta(days=3)).isoformat()
    text = (
        MEMBER_HEADER
        + ",Ok,Row,ok@example.se,,,,,,,,,\n"  # line 2
        + ",Bad,Phone,p@example.se,12345,,,,,,,,\n"  # line 3
        + "\n"  # line 4: blank, skipped
        + f",Fut,Ure,f@example.se,,{future},,,,,,,\n"  # line 5
        + ",No,Store,s@example.se,,,,,,nowhere,,,\n"  # line 6
        + ",Dup,Licate,OK@example.se,,,,,,,,,\n"  # line 7: same e-mail as line 2
        + ",Un,Known,u@example.se,,,,,,,curling,maybe,\n"  # line 8
        + ",,,,,,,,,,,,\n"  # line 9: blank cells only, skipped
        + ",Nobody,Atall,,,,,,,,,,\n"  # line 10: no number nor e-mail
        + "99999999,Not,Here,,,,,,,,,,\n"  # line 11: unknown number
    )
    # when uploaded
    member_import = _upload(text)
    # then each problem is on its own line and column
    assert set(_errors(member_import)) == {
        (3, "phone"),
        (5, "birth_date"),
        (6, "preferred_store"),
        (7, "email"),
        (8, "interests"),
        (8, "consent_email"),
        (10, "email"),
        (11, "number"),
    }
    assert member_import.row_count == 8 and member_import.error_count == 7
    assert member_import.valid_count == 1
    messages = " ".join(e["message"] for e in member_import.errors)
    assert "future" in messages and "line 2" in messages and "nowhere" in messages
    assert Member.objects.count() == 0

    # when confirmed without skipping the bad rows
    with pytest.raises(ValidationError, match="7 rows have errors"):
        member_import_confirm(member_import=member_import, actor=member_import.uploaded_by)
    # then nothing was imported and it still waits for a decision
    assert Member.objects.count() == 0
    member_import.refresh_from_db()
    assert member_import.status == MemberImport.Status.PREVIEWED

    # when confirmed with "skip the bad rows"
    done = member_import_confirm(
        member_import=member_import, actor=member_import.uploaded_by, skip_bad_rows=True
    )
    # then only the good row is imported
    assert list(Member.objects.values_list("email", flat=True)) == ["ok@example.se"]
    assert done.skipped_count == 7 and done.created_count == 1


def test_a_confirmed_import_cannot_be_confirmed_twice(catalogue):
    # given an imported file
    member_import = _upload(GOOD_MEMBERS)
    member_import_confirm(member_import=member_import, actor=member_import.uploaded_by)
    # when confirmed again / then refused
    with pytest.raises(ValidationError, match="already been imported"):
        member_import_confirm(member_import=member_import, actor=member_import.uploaded_by)
    assert Member.objects.count() == 2


def test_wrong_header_lists_missing_and_unknown_columns(db):
    # given a header with a typo and a missing column
    member_import = _upload("first_name,lastname,email,shoe_size\nA,B,a@example.se,42\n")
    # then the file fails with one message naming both
    assert member_import.status == MemberImport.Status.FAILED
    message = member_import.errors[0]["message"]
    assert "Missing columns: last_name" in message
    assert "Unknown columns: lastname, shoe_size" in message
    assert bytes(member_import.content) == b""


def test_windows_1252_semicolon_file_is_read_and_reported(catalogue):
    # given a file saved by Swedish Excel: semicolons, Windows-1252
    data = "first_name;last_name;email;city\nÅsa;Öberg;asa@example.se;Göteborg\n".encode("cp1252")
    # when imported
    member_import = _upload(data)
    member_import_confirm(member_import=member_import, actor=member_import.uploaded_by)
    # then the letters are right and the encoding was reported
    assert member_import.encoding == "windows-1252"
    assert "windows-1252" in member_import.notices[0]
    assert Member.objects.get().city == "Göteborg"


def test_formula_cells_are_plain_text(catalogue):
    # given cells that a spreadsheet would run as formulas
    text = 'first_name,last_name,email,city\n=HYPERLINK("x"),\'=1+2,f@example.se,@SUM(A1)\n'
    # when imported
    member_import = _upload(text)
    member_import_confirm(member_import=member_import, actor=member_import.uploaded_by)
    # then they are stored as text (our own apostrophe-escaped cells read back unescaped)
    member = Member.objects.get()
    assert (member.first_name, member.last_name, member.city) == (
        '=HYPERLINK("x")',
        "=1+2",
        "@SUM(A1)",
    )


def test_ten_megabytes_of_junk_is_refused_quickly_and_not_stored(db):
    # given 10 MB of junk
    junk = b"\xff\xfe" + b"junk;" * (2 * 1024 * 1024)
    start = timezone.now()
    # when uploaded
    member_import = _upload(junk)
    # then it is refused with a size message, at once, and its bytes are not kept
    assert (timezone.now() - start).total_seconds() < 1
    assert member_import.status == MemberImport.Status.FAILED
    assert "MB" in member_import.errors[0]["message"]
    assert bytes(member_import.content) == b""


def test_binary_file_is_refused(db):
    # given a file that is not text / when uploaded / then a clear message
    member_import = _upload(b"PK\x03\x04\x00\x00binary")
    assert member_import.status == MemberImport.Status.FAILED
    assert "binary" in member_import.errors[0]["message"]


PURCHASE_HEADER = (
    "member,purchased_at,amount,currency,channel,store,source,external_id,original_external_id\n"
)


def test_purchases_import_with_return_is_idempotent(catalogue):
    # given a member and a purchase file with a purchase, a return of it and a bad row
    member = MemberFactory(email="kund@example.se")
    text = (
        PURCHASE_HEADER
        + f"{member.number},2024-05-01 12:00,499.00,SEK,store,sthlm-city,pos,r-1,\n"
        + "KUND@example.se,2024-05-02T10:00,-100,SEK,store,sthlm-city,pos,r-2,r-1\n"
        + f"{member.number},2024-05-03 10:00,10,SEK,store,nowhere,pos,r-3,\n"
    )
    # when uploaded
    member_import = _upload(text, kind="purchases")
    # then the unknown store is reported on its line and nothing is written yet
    assert _errors(member_import) == [(4, "store")]
    assert Purchase.objects.count() == 0

    # when confirmed skipping the bad row, and the same file is imported again
    member_import_confirm(
        member_import=member_import, actor=member_import.uploaded_by, skip_bad_rows=True
    )
    again = _upload(text, kind="purchases")
    again = member_import_confirm(member_import=again, actor=again.uploaded_by, skip_bad_rows=True)

    # then the purchase and its return are stored once
    assert sorted(Purchase.objects.values_list("external_id", "amount")) == [
        ("r-1", Decimal("499.00")),
        ("r-2", Decimal("-100.00")),
    ]
    assert Purchase.objects.get(external_id="r-2").original.external_id == "r-1"
    assert (again.created_count, again.unchanged_count) == (0, 2)


def test_purchases_file_accepts_member_number_column_and_semicolons(catalogue):
    # given a header naming the member column "number" and a missing required column
    member_import = _upload("number;purchased_at;amount\n1;2024-01-01;1\n", kind="purchases")
    # then the missing columns are listed
    assert member_import.status == MemberImport.Status.FAILED
    assert "channel, source, external_id" in member_import.errors[0]["message"]
