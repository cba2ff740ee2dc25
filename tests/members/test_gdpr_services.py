"""GDPR: the member's data export (ZIP) and erasure; the registry other apps fill in."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from decimal import Decimal

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import authenticate
from django.core.mail import EmailMessage
from rest_framework.authtoken.models import Token

from core.models import AuditLogEntry
from core.services import audit_log
from members import gdpr
from members.models import ConsentEvent, Member, Purchase
from members.services.gdpr import MemberAlreadyErased, member_erase, member_export_zip
from tests.members.factories import (
    PASSWORD,
    ConsentEventFactory,
    InterestFactory,
    MemberFactory,
    PurchaseFactory,
    PurchaseLineFactory,
    StaffFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def registry(monkeypatch):
    """An empty registry for the test, restored afterwards."""
    monkeypatch.setattr(gdpr, "_exporters", {})
    monkeypatch.setattr(gdpr, "_erasers", [])
    return gdpr


def _zip(data: bytes) -> zipfile.ZipFile:
    return zipfile.ZipFile(io.BytesIO(data))


def _csv(archive: zipfile.ZipFile, name: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(archive.read(name).decode("utf-8-sig"))))


def test_export_zip_holds_every_file_with_the_members_data(registry):
    # given a member with a login, consents, a purchase with a line, and another app's exporter
    user = UserFactory(email="asa@example.se")
    member = MemberFactory(user=user, email="asa@example.se", first_name="Åsa", language="sv")
    member.interests.add(InterestFactory(name="Löpning"))
    ConsentEventFactory(member=member, purpose="email", granted=True)
    purchase = PurchaseFactory(member=member, amount=Decimal("499.00"), external_id="k-1")
    PurchaseLineFactory(purchase=purchase, product="=Sko")
    other = MemberFactory()
    PurchaseFactory(member=other, external_id="other-1")
    registry.gdpr_exporter_register(
        "rewards", lambda *, member: [{"points": 120, "member": member.number}]
    )

    # when exported
    archive = _zip(member_export_zip(member=member, actor=user))

    # then the files are there and hold this member's data only
    assert set(archive.namelist()) == {
        "profile.json",
        "consents.csv",
        "purchases.csv",
        "purchase_lines.csv",
        "scores.json",
        "audit.json",
        "emails.csv",
        "rewards.csv",
        "README.txt",
    }
    profile = json.loads(archive.read("profile.json"))
    assert profile["first_name"] == "Åsa" and profile["interests"] == ["Löpning"]
    assert profile["login"]["email"] == "asa@example.se"
    assert [row["external_id"] for row in _csv(archive, "purchases.csv")] == ["k-1"]
    assert _csv(archive, "purchase_lines.csv")[0]["product"] == "'=Sko"  # escaped
    consents = _csv(archive, "consents.csv")
    assert consents[0]["purpose"] == "email" and consents[0]["granted"] == "yes"
    assert consents[0]["text"].startswith("Ja, jag vill")  # the wording in the member's language
    assert _csv(archive, "rewards.csv") == [{"points": "120", "member": member.number}]
    # the README is in the member's language and names the extra file
    readme = archive.read("README.txt").decode("utf-8")
    assert "rewards.csv" in readme
    # and the export itself is audited
    assert AuditLogEntry.objects.filter(
        action="member.gdpr_export", target_id=str(member.pk), actor=user
    ).exists()


def test_audit_json_names_no_staff(registry):
    # given a member changed by staff
    member = MemberFactory()
    audit_log(action="member.update", actor=StaffFactory(email="boss@example.se"), target=member)
    # when exported
    archive = _zip(member_export_zip(member=member))
    # then the entry is there, attributed to "staff", without the staff member's address
    entries = json.loads(archive.read("audit.json"))
    assert entries[0]["action"] == "member.update" and entries[0]["by"] == "staff"
    assert b"boss@example.se" not in archive.read("audit.json")


def test_erase_clears_personal_data_keeps_purchases_and_disables_login(registry, client):
    # given a member with a login, granted consents, purchases and a registered eraser
    user = UserFactory(email="asa@example.se")
    Token.objects.create(user=user)
    member = MemberFactory(user=user, email="asa@example.se", notes="VIP", birth_date="1980-01-01")
    member.interests.add(InterestFactory())
    ConsentEventFactory(member=member, purpose="email", granted=True)
    ConsentEventFactory(member=member, purpose="sms", granted=True)
    purchase = PurchaseFactory(member=member, amount=Decimal("499.00"))
    erased_by_app = []
    registry.gdpr_eraser_register(lambda *, member: erased_by_app.append(member.pk))
    staff = StaffFactory()
    client.force_login(user)
    old_number = member.number

    # when erased by staff
    erased = member_erase(member=member, actor=staff)

    # then the personal fields are empty, status erased, the number anonymous
    erased.refresh_from_db()
    assert erased.status == Member.Status.ERASED and erased.erased_at is not None
    assert (erased.first_name, erased.last_name, erased.email, erased.phone) == ("", "", "", "")
    assert (erased.birth_date, erased.postcode, erased.city, erased.notes) == (None, "", "", "")
    assert erased.interests.count() == 0
    assert erased.number.startswith("X") and erased.number != old_number
    # the purchases are kept with their amounts
    assert Purchase.objects.get(pk=purchase.pk).amount == Decimal("499.00")
    assert Purchase.objects.get(pk=purchase.pk).member_id == erased.pk
    # every consent was withdrawn by staff
    latest = {
        p: ConsentEvent.objects.filter(member=erased, purpose=p).first() for p in ("email", "sms")
    }
    assert all(not e.granted and e.source == "staff" for e in latest.values())
    # the login can no longer be used
    user.refresh_from_db()
    assert not user.is_active and not user.has_usable_password()
    assert user.email.endswith("@erased.invalid") and "asa" not in user.email
    assert not EmailAddress.objects.filter(user=user).exists()
    assert not Token.objects.filter(user=user).exists()
    assert authenticate(email="asa@example.se", password=PASSWORD) is None
    assert client.get("/profile/").status_code == 302  # the session has ended
    # the app's eraser ran, and the erasure is audited without personal data
    assert erased_by_app == [erased.pk]
    entry = AuditLogEntry.objects.get(action="member.erase")
    assert entry.actor == staff and entry.details["consents_withdrawn"] == ["email", "sms"]
    assert "asa" not in json.dumps(entry.details) and old_number not in entry.target_repr
    assert not AuditLogEntry.objects.filter(target_repr__contains=old_number).exists()


def test_second_erase_is_a_no_op_with_a_clear_message(registry):
    # given an erased member
    member = MemberFactory()
    member_erase(member=member)
    erased = Member.objects.get(pk=member.pk)
    entries = AuditLogEntry.objects.count()
    # when erased again / then refused with a message and nothing changes
    with pytest.raises(MemberAlreadyErased, match="already erased"):
        member_erase(member=erased)
    assert Member.objects.get(pk=member.pk).number == erased.number
    assert AuditLogEntry.objects.count() == entries


def test_erase_by_the_member_records_portal_withdrawals(registry):
    # given a member with a granted consent / when they erase themselves
    user = UserFactory()
    member = MemberFactory(user=user)
    ConsentEventFactory(member=member, purpose="email", granted=True)
    member_erase(member=member, actor=user)
    # then the withdrawal's source is the portal
    assert ConsentEvent.objects.filter(member=member).first().source == "portal"


def test_registry_refuses_reserved_names(registry):
    # given / when / then
    with pytest.raises(ValueError):
        registry.gdpr_exporter_register("profile", lambda *, member: [])


def test_the_members_email_is_exported_and_erased_from_the_outbox(registry):
    from core.email import email_send_later
    from core.models import OutgoingEmail

    # given e-mail to the member (one sent, one waiting, one naming them by display name), and
    # e-mail to someone else that mentions the member's address in its text
    user = UserFactory(email="asa@example.se")
    member = MemberFactory(user=user, email="asa@example.se", language="sv")
    for subject, to in [
        ("Din belöning", ["asa@example.se"]),
        ("Välkommen", ["Åsa <ASA@example.se>"]),
        ("Till någon annan", ["bertil@example.se"]),
    ]:
        email_send_later(EmailMessage(subject=subject, body="asa@example.se", to=to))
    OutgoingEmail.objects.filter(subject="Din belöning").update(status="sent")

    # when the member's data is exported
    archive = _zip(member_export_zip(member=member))

    # then emails.csv lists their e-mail only, and the README explains the file
    rows = _csv(archive, "emails.csv")
    assert sorted((row["subject"], row["status"]) for row in rows) == [
        ("Din belöning", "sent"),
        ("Välkommen", "pending"),
    ]
    assert "emails.csv" in archive.read("README.txt").decode("utf-8")

    # when the member is erased
    member_erase(member=member)

    # then their e-mail is gone from the outbox (the waiting one will never be sent), the
    # other person's stays, and the audit entry says how many went
    assert list(OutgoingEmail.objects.values_list("subject", flat=True)) == ["Till någon annan"]
    entry = AuditLogEntry.objects.get(action="member.erase", target_id=str(member.pk))
    assert entry.details["emails_deleted"] == 2


def test_the_readme_describes_every_file_in_the_members_language():
    # issue 11: the other apps' files are described in Swedish too, never by their English names
    import io
    import zipfile

    from members.services.gdpr import member_export_zip
    from tests.members.factories import MemberFactory

    member = MemberFactory(language="sv")
    archive = zipfile.ZipFile(io.BytesIO(member_export_zip(member=member)))
    readme = archive.read("README.txt").decode("utf-8")
    assert "tier changes" not in readme and "data from the club's" not in readme
    assert "när din nivå ändrades" in readme
