"""The segment builder page: who may use it, live preview, saving through the service with errors
shown, snapshots and exports."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from decimal import Decimal

import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.contrib.auth.models import Group
from django.urls import reverse

from core.models import AuditLogEntry
from members.models import Segment, SegmentSnapshot
from members.services.segments import segment_create
from tests.members.factories import (
    ConsentEventFactory,
    MemberFactory,
    PurchaseFactory,
    StaffFactory,
)

pytestmark = pytest.mark.django_db

ADD = "/admin/members/segment/add/"
PREVIEW = "/admin/members/segment/preview/"
STOCKHOLM = {"op": "and", "rules": [{"field": "city", "operator": "eq", "value": "Stockholm"}]}


def staff_in(role):
    staff = StaffFactory()
    staff.groups.add(Group.objects.get(name=role))
    TOTP.activate(staff, generate_totp_secret())  # staff MFA is enforced by admin_view
    return staff


@pytest.fixture
def marketer_client(client):
    client.force_login(staff_in("marketer"))
    return client


def body(response):
    return b"".join(response.streaming_content).decode("utf-8-sig")


def test_marketer_sees_the_builder_fed_by_the_registry(marketer_client):
    response = marketer_client.get(ADD)

    assert response.status_code == 200
    assert 'id="segment-registry"' in response.text
    assert "js/segments.js" in response.text
    registry = json.loads(
        response.text.split('id="segment-registry" type="application/json">')[1].split("</script>")[
            0
        ]
    )
    assert {"spend", "consent_email", "recency_score"} <= {f["key"] for f in registry}
    # no inline script: every <script> is JSON data or has a src
    for tag in response.text.split("<script")[1:]:
        opening = tag.split(">", 1)[0]
        assert "src=" in opening or 'type="application/json"' in opening


def test_moderator_may_not_use_the_builder(client):
    client.force_login(staff_in("moderator"))

    assert client.get(ADD).status_code == 403
    response = client.post(PREVIEW, data=json.dumps({"rules": STOCKHOLM}), content_type="x")
    assert response.status_code == 403


def test_staff_without_mfa_are_sent_to_set_it_up(client, settings):
    settings.STAFF_MFA_REQUIRED = True
    staff = StaffFactory()
    staff.groups.add(Group.objects.get(name="marketer"))
    client.force_login(staff)

    response = client.get(ADD)

    assert response.status_code == 302 and response.url == reverse("mfa_activate_totp")


def test_preview_returns_the_count_and_a_sample_in_one_query_each(
    marketer_client, django_assert_max_num_queries
):
    # given 12 Stockholm members and one in Umeå
    for _n in range(12):
        MemberFactory(city="Stockholm")
    MemberFactory(city="Umeå")

    # when the builder asks for a preview
    with django_assert_max_num_queries(12):
        response = marketer_client.post(
            PREVIEW, data=json.dumps({"rules": STOCKHOLM}), content_type="application/json"
        )

    # then it gets the live count and 10 members
    data = response.json()
    assert response.status_code == 200
    assert data["count"] == 12
    assert len(data["sample"]) == 10
    assert data["sample"][0]["url"].startswith("/admin/members/member/")


@pytest.mark.parametrize("rows", [3, 30])
def test_preview_queries_do_not_grow_with_members(
    marketer_client, rows, django_assert_max_num_queries
):
    for _n in range(rows):
        PurchaseFactory(member=MemberFactory(city="Stockholm"), amount=Decimal("900"))
    rules = {"op": "and", "rules": [{"field": "spend", "operator": "gt", "value": "500"}]}
    with django_assert_max_num_queries(12):
        response = marketer_client.post(
            PREVIEW, data=json.dumps({"rules": rules}), content_type="application/json"
        )
    assert response.json()["count"] == rows


def test_preview_explains_bad_rules(marketer_client):
    bad = {"op": "and", "rules": [{"field": "spend", "operator": "gt", "value": "many"}]}

    response = marketer_client.post(
        PREVIEW, data=json.dumps({"rules": bad}), content_type="application/json"
    )

    assert response.status_code == 400
    assert response.json() == {
        "errors": ["Rule 1 (spend (SEK, returns subtracted)): enter a number, e.g. 500 or 0.5."]
    }
    assert marketer_client.get(PREVIEW).status_code == 405


def test_saving_goes_through_the_service_and_shows_errors(marketer_client):
    # when the form is posted with a bad rule
    bad = {"op": "and", "rules": [{"field": "age", "operator": "gte", "value": "old"}]}
    response = marketer_client.post(ADD, {"name": "Äldre", "rules": json.dumps(bad)})

    # then the error is shown and nothing is saved
    assert response.status_code == 200
    assert "Rule 1 (age): enter a whole number." in response.text
    assert not Segment.objects.exists()

    # when it is posted with valid rules
    response = marketer_client.post(ADD, {"name": "Sthlm", "rules": json.dumps(STOCKHOLM)})

    # then the service saved and audited it
    assert response.status_code == 302
    segment = Segment.objects.get()
    assert segment.rules == STOCKHOLM
    assert AuditLogEntry.objects.filter(action="segment.create").exists()


def test_snapshot_and_exports_from_the_page(marketer_client):
    # given a segment of two Stockholm members, one consenting to ad matching
    anna = MemberFactory(city="Stockholm", email="anna@example.se", phone="+46701234567")
    ConsentEventFactory(member=anna, purpose="ad_matching")
    MemberFactory(city="Stockholm", first_name="=cmd|' /C calc'!A0")
    segment = segment_create(name="Sthlm", rules=STOCKHOLM)
    base = f"/admin/members/segment/{segment.pk}/"

    # when a snapshot is frozen
    response = marketer_client.post(base + "snapshot/")
    assert response.status_code == 302
    snapshot = SegmentSnapshot.objects.get()
    assert snapshot.member_count == 2

    # then the page lists it with its count
    page = marketer_client.get(base + "change/")
    assert "Freeze snapshot" in page.text and f"snapshot/{snapshot.pk}/export/csv/" in page.text

    # and the CSV export escapes formulas
    rows = list(csv.reader(io.StringIO(body(marketer_client.post(base + "export/csv/")))))
    assert rows[0][0] == "number" and len(rows) == 3
    assert "'=cmd|' /C calc'!A0" in [row[1] for row in rows]

    # and the ad export holds only the consenting member, hashed
    ads = body(
        marketer_client.post(f"/admin/members/segment/snapshot/{snapshot.pk}/export/google/")
    )
    assert list(csv.reader(io.StringIO(ads))) == [
        ["email_sha256", "phone_sha256"],
        [
            hashlib.sha256(b"anna@example.se").hexdigest(),
            hashlib.sha256(b"+46701234567").hexdigest(),
        ],
    ]
    # and exports are POST only
    assert marketer_client.get(base + "export/csv/").status_code == 405


def test_staff_without_export_permission_cannot_export(client):
    # given a club admin role stripped of export (a store staff member cannot see segments)
    segment = segment_create(name="Sthlm", rules=STOCKHOLM)
    staff = StaffFactory()
    TOTP.activate(staff, generate_totp_secret())
    from django.contrib.auth.models import Permission

    staff.user_permissions.add(
        Permission.objects.get(codename="view_segment"),
        Permission.objects.get(codename="view_segmentsnapshot"),
    )
    client.force_login(staff)

    response = client.post(f"/admin/members/segment/{segment.pk}/export/csv/")

    assert response.status_code == 403
    assert not AuditLogEntry.objects.filter(action="segment.export_csv").exists()
