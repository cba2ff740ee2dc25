"""Segment services: create/update with validation, snapshots, CSV and ad-platform exports."""

from __future__ import annotations

import hashlib
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError

from core.models import AuditLogEntry
from members.models import Segment, SegmentSnapshot
from members.services.segments import (
    ad_email_normalize,
    ad_phone_normalize,
    segment_create,
    segment_export_ad_rows,
    segment_export_csv_rows,
    segment_snapshot_create,
    segment_update,
)
from tests.members.factories import (
    ConsentEventFactory,
    MemberFactory,
    PurchaseFactory,
    SegmentFactory,
    StaffFactory,
)

pytestmark = pytest.mark.django_db

STOCKHOLM = {"op": "and", "rules": [{"field": "city", "operator": "eq", "value": "Stockholm"}]}


def sha(text):
    return hashlib.sha256(text.encode()).hexdigest()


@pytest.fixture
def marketer():
    staff = StaffFactory()
    staff.groups.add(Group.objects.get(name="marketer"))
    return staff


def test_create_validates_and_audits(marketer):
    # when a marketer saves a valid segment
    segment = segment_create(name="  Stockholmare ", rules=STOCKHOLM, actor=marketer)

    # then it is stored normalised, with its author, and audited
    assert segment.name == "Stockholmare"
    assert segment.rules == STOCKHOLM
    assert segment.created_by == marketer
    assert AuditLogEntry.objects.filter(action="segment.create", target_id=str(segment.pk)).exists()


def test_create_refuses_bad_rules_and_duplicate_names_and_saves_nothing():
    SegmentFactory(name="Stockholmare")
    bad = {"op": "and", "rules": [{"field": "spend", "operator": "gt", "value": "x"}]}

    with pytest.raises(ValidationError) as error:
        segment_create(name="stockholmare", rules=bad)

    assert error.value.message_dict == {
        "name": ["A segment named “stockholmare” already exists."],
        "rules": ["Rule 1 (spend (SEK, returns subtracted)): enter a number, e.g. 500 or 0.5."],
    }
    assert Segment.objects.count() == 1


def test_update_changes_only_what_is_given(marketer):
    segment = segment_create(name="A", rules=STOCKHOLM)
    rules = {"op": "or", "rules": [{"field": "language", "operator": "in", "value": ["en"]}]}

    segment_update(segment=segment, rules=rules, actor=marketer)
    segment.refresh_from_db()

    assert segment.rules == rules and segment.name == "A"
    entry = AuditLogEntry.objects.get(action="segment.update")
    assert entry.details["fields"] == ["rules"]
    with pytest.raises(ValidationError):
        segment_update(segment=segment, name="")


def test_snapshot_freezes_the_members_of_the_moment(marketer):
    # given two Stockholm members and one elsewhere
    first, second = MemberFactory(city="Stockholm"), MemberFactory(city="Stockholm")
    MemberFactory(city="Umeå")
    segment = segment_create(name="Sthlm", rules=STOCKHOLM)

    # when a snapshot is frozen and a third Stockholm member joins afterwards
    snapshot = segment_snapshot_create(segment=segment, actor=marketer)
    MemberFactory(city="Stockholm")

    # then the snapshot keeps the two, with its count and the rules of the time
    snapshot.refresh_from_db()
    assert snapshot.member_count == 2
    assert set(snapshot.members.all()) == {first, second}
    assert snapshot.rules == STOCKHOLM
    assert AuditLogEntry.objects.filter(action="segment.snapshot").get().details["members"] == 2


def test_csv_export_needs_the_permission_and_is_audited(marketer):
    MemberFactory(city="Stockholm", first_name="=HYPERLINK(1)", number="10000042")
    segment = segment_create(name="Sthlm", rules=STOCKHOLM)

    # a staff member without the export permission is refused
    with pytest.raises(PermissionDenied):
        segment_export_csv_rows(actor=StaffFactory(), segment=segment)

    header, rows = segment_export_csv_rows(actor=marketer, segment=segment)
    rows = list(rows)
    assert header[0] == "number" and rows[0][0] == "10000042"
    assert rows[0][1] == "=HYPERLINK(1)"  # escaped by csv_safe when written
    entry = AuditLogEntry.objects.get(action="segment.export_csv")
    assert entry.details["members"] == 1 and entry.actor == marketer


def test_snapshot_export_leaves_out_members_erased_since(marketer):
    kept = MemberFactory(city="Stockholm")
    gone = MemberFactory(city="Stockholm")
    snapshot = segment_snapshot_create(segment=segment_create(name="S", rules=STOCKHOLM))
    gone.status, gone.email = "erased", ""
    gone.erased_at = gone.joined_at
    gone.save()

    _header, rows = segment_export_csv_rows(actor=marketer, snapshot=snapshot)

    assert [row[0] for row in rows] == [kept.number]


def test_ad_export_hashes_normalised_ids_of_consenting_members_only(marketer):
    # given a member who granted ad matching (with a messy e-mail), one who did not, and one
    # who granted with a phone only
    yes = MemberFactory(city="Stockholm", email="anna.svensson@example.se", phone="+46701234567")
    ConsentEventFactory(member=yes, purpose="ad_matching")
    no = MemberFactory(city="Stockholm")
    ConsentEventFactory(member=no, purpose="email")
    phone_only = MemberFactory(city="Stockholm", email="", phone="+46709876543")
    ConsentEventFactory(member=phone_only, purpose="ad_matching")
    segment = segment_create(name="Sthlm", rules=STOCKHOLM)

    header, rows = segment_export_ad_rows(actor=marketer, segment=segment)

    assert header == ["email_sha256", "phone_sha256"]
    assert sorted(rows) == sorted(
        [
            [sha("anna.svensson@example.se"), sha("+46701234567")],
            ["", sha("+46709876543")],
        ]
    )
    # and Meta's form drops the "+"
    _header, meta_rows = segment_export_ad_rows(actor=marketer, segment=segment, platform="meta")
    assert ["", sha("46709876543")] in list(meta_rows)
    assert AuditLogEntry.objects.filter(action="segment.export_ad_match").count() == 2


def test_identifier_normalisation():
    assert ad_email_normalize("  Anna.Svensson@Example.SE ") == "anna.svensson@example.se"
    assert ad_phone_normalize("070-123 45 67") == "+46701234567"
    assert ad_phone_normalize("+46 70 123 45 67", platform="meta") == "46701234567"
    assert ad_phone_normalize("12") == ""


def test_snapshot_of_a_spend_segment_counts_like_the_live_segment():
    buyer = MemberFactory()
    PurchaseFactory(member=buyer, amount=Decimal("800"))
    MemberFactory()
    segment = segment_create(
        name="Big",
        rules={"op": "and", "rules": [{"field": "spend", "operator": "gt", "value": "500"}]},
    )

    snapshot = segment_snapshot_create(segment=segment)

    assert SegmentSnapshot.objects.get(pk=snapshot.pk).member_count == 1
    assert list(snapshot.members.all()) == [buyer]
