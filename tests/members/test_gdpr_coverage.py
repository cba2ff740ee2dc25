"""Erasure reaches every place personal data is kept (issue 10, item 2).

The model walk: every installed model that points to a member or a login, or holds a personal
field (e-mail, phone, names, birth date, address, IP address) or free-form data (JSON, binary,
files, where anything may be copied), must be declared in members.gdpr's coverage with how
erasure treats it. A new app's model that is not fails here, naming it.

Then an erasure end to end: the member's data, copied into a stored Idempotency-Key response,
audit-log details, the admin's history and an import file, is gone from all of them afterwards.
"""

from __future__ import annotations

import json

import pytest
from django.apps import apps
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.db import models
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from core.models import AuditLogEntry, IdempotencyKey
from core.services import audit_log
from members.gdpr import gdpr_models_covered
from members.models import Member
from members.services.gdpr import member_erase
from members.services.imports import member_import_upload
from tests.members.factories import MemberFactory, StaffFactory, UserFactory

PERSONAL_FIELDS = {
    "email",
    "phone",
    "first_name",
    "last_name",
    "birth_date",
    "postcode",
    "city",
    "address",
    "ip_address",
    "display_name",
}
FREE_FORM = (models.JSONField, models.BinaryField, models.FileField)


def _holds_personal_data(model) -> list[str]:
    user_model = get_user_model()
    reasons = []
    for field in model._meta.get_fields():
        if field.auto_created and not field.concrete:
            continue  # a reverse relation: the model that holds it is checked itself
        if field.is_relation and field.related_model in (user_model, Member):
            reasons.append(f"{field.name} → {field.related_model._meta.label}")
        elif field.name in PERSONAL_FIELDS:
            reasons.append(field.name)
        elif isinstance(field, FREE_FORM):
            reasons.append(f"{field.name} (free-form)")
    return reasons


def test_every_model_holding_personal_data_is_covered_by_erasure():
    covered = gdpr_models_covered()
    missing = {
        model._meta.label: reasons
        for model in apps.get_models()
        if not model._meta.proxy
        and (reasons := _holds_personal_data(model))
        and model._meta.label not in covered
    }
    assert missing == {}, (
        "Declare how member erasure treats these models with members.gdpr.gdpr_model_covered "
        f"(and an eraser if they keep personal data): {missing}"
    )


def test_the_coverage_names_only_installed_models():
    labels = {model._meta.label for model in apps.get_models()}
    assert set(gdpr_models_covered()) - labels == set()


@pytest.mark.django_db
def test_erasure_scrubs_every_copy_of_the_members_data():
    # given a member created through the API with an Idempotency-Key
    staff = StaffFactory()
    staff.groups.add(Group.objects.get(name="store staff"))
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=staff).key}")
    body = {
        "first_name": "Sigrid",
        "last_name": "Quist",
        "email": "sigrid.quist@example.se",
        "phone": "070-123 45 67",
        "birth_date": "1984-03-02",
    }
    created = client.post("/api/v1/members/", body, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert created.status_code == 201
    member = Member.objects.get(email="sigrid.quist@example.se")
    # ... named in an audit entry's details, in the admin's history and in an import file
    audit_log(action="test.note", actor=staff, target=member, details={"note": "Sigrid Quist"})
    audit_log(action="test.copy", actor=staff, details={"to": "SIGRID.QUIST@example.se"})
    LogEntry.objects.create(
        user=staff,
        content_type=ContentType.objects.get_for_model(Member),
        object_id=str(member.pk),
        object_repr=str(member),
        action_flag=CHANGE,
    )
    upload = member_import_upload(
        kind="members",
        filename="m.csv",
        data=b"first_name,last_name,email\nSigrid,Quist,Sigrid.Quist@example.se\n",
        actor=staff,
    )
    other = MemberFactory(first_name="Olle", email="olle@example.se")

    # when the member is erased
    member_erase(member=member, actor=staff)

    # then no copy names them any more
    record = IdempotencyKey.objects.get(key="k-1")
    text = json.dumps(record.response_body).casefold()
    for value in ("sigrid", "quist", "+46701234567", "1984-03-02", created.json()["number"]):
        assert value.casefold() not in text
    assert record.response_body["email"] == "[erased]"
    details = [
        e.details for e in AuditLogEntry.objects.filter(action__startswith="test.").order_by("pk")
    ]
    assert details == [{"note": "[erased]"}, {"to": "[erased]"}]
    assert LogEntry.objects.get(object_id=str(member.pk)).object_repr == "[erased]"
    upload.refresh_from_db()
    assert bytes(upload.content) == b""
    # and a replay answers the scrubbed response without creating anyone
    replay = client.post("/api/v1/members/", body, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert replay.json()["email"] == "[erased]"
    assert Member.objects.count() == 2
    assert Member.objects.get(pk=other.pk).first_name == "Olle"


@pytest.mark.django_db
def test_erasure_forgets_the_members_own_stored_responses_and_addresses():
    user = UserFactory(email="ines@example.se")
    member = MemberFactory(user=user, email=user.email, first_name="Ines")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    answer = client.patch(
        "/api/v1/me/", {"city": "Lund"}, format="json", HTTP_IDEMPOTENCY_KEY="me-1"
    )
    assert answer.status_code == 200
    audit_log(action="test.login", actor=user, details={})
    AuditLogEntry.objects.filter(actor=user).update(ip_address="192.0.2.1")

    member_erase(member=member, actor=StaffFactory())

    stored = json.dumps(IdempotencyKey.objects.get(key="me-1").response_body).casefold()
    assert "ines" not in stored
    assert not AuditLogEntry.objects.filter(actor=user, ip_address__isnull=False).exists()
