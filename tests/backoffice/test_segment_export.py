"""Segment CSV export: e-mail and phone only with consent for the channel, or marked with the
consent state, by the marketer's choice; the file name keeps å, ä and ö (RFC 6266)."""

from __future__ import annotations

import csv
import io

import pytest

from core.models import AuditLogEntry
from members.csvutil import attachment_header
from members.services.segments import segment_create, segment_export_csv_rows
from tests.members.factories import ConsentEventFactory, MemberFactory

pytestmark = pytest.mark.django_db
RULES = {"op": "and", "rules": [{"field": "city", "operator": "eq", "value": "Umeå"}]}


@pytest.fixture
def club():
    both = MemberFactory(city="Umeå", number="10000001", email="both@example.se")
    ConsentEventFactory(member=both, purpose="email")
    ConsentEventFactory(member=both, purpose="sms")
    email_only = MemberFactory(city="Umeå", number="10000002", email="mail@example.se")
    ConsentEventFactory(member=email_only, purpose="email")
    withdrawn = MemberFactory(city="Umeå", number="10000003", email="gone@example.se")
    ConsentEventFactory(member=withdrawn, purpose="email")
    ConsentEventFactory(member=withdrawn, purpose="email", granted=False, text=None)
    return both, email_only, withdrawn


def _by_number(header, rows):
    return {row[0]: dict(zip(header, row, strict=True)) for row in rows}


def test_contacts_without_consent_are_left_out_by_default(marketer, club):
    both, email_only, withdrawn = club
    segment = segment_create(name="Umeå", rules=RULES)
    header, rows = segment_export_csv_rows(actor=marketer.user, segment=segment)
    found = _by_number(header, rows)
    assert "email_consent" not in header
    assert found[both.number]["email"] == both.email and found[both.number]["phone"] == both.phone
    assert found[email_only.number]["email"] == email_only.email
    assert found[email_only.number]["phone"] == ""
    assert found[withdrawn.number]["email"] == "" and found[withdrawn.number]["phone"] == ""


def test_marketer_may_mark_the_consent_state_instead(marketer, club):
    both, email_only, withdrawn = club
    segment = segment_create(name="Umeå", rules=RULES)
    header, rows = segment_export_csv_rows(actor=marketer.user, segment=segment, contacts="mark")
    found = _by_number(header, rows)
    assert header[-2:] == ["email_consent", "sms_consent"]
    assert found[withdrawn.number]["email"] == withdrawn.email
    assert found[withdrawn.number]["email_consent"] == "no"
    assert found[email_only.number]["email_consent"] == "yes"
    assert found[email_only.number]["sms_consent"] == "no"
    assert found[both.number]["sms_consent"] == "yes"
    assert AuditLogEntry.objects.get(action="segment.export_csv").details["contacts"] == "mark"


def test_export_through_the_admin_keeps_swedish_letters_in_the_file_name(marketer, club):
    segment = segment_create(name="Kunder i Umeå", rules=RULES)
    response = marketer.post(
        f"/admin/members/segment/{segment.pk}/export/csv/", {"contacts": "omit"}
    )
    disposition = response["Content-Disposition"]
    assert 'filename="kunder-i-umea-' in disposition
    assert "filename*=UTF-8''kunder-i-ume%C3%A5-" in disposition
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(body)))
    assert len(rows) == 4
    assert "gone@example.se" not in body


def test_attachment_header_for_ascii_and_unicode_names():
    assert attachment_header("plain.csv") == 'attachment; filename="plain.csv"'
    header = attachment_header("åäö.csv")
    assert header == "attachment; filename=\"aao.csv\"; filename*=UTF-8''%C3%A5%C3%A4%C3%B6.csv"
