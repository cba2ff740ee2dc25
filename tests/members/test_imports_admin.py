"""Admin: CSV import pages and the "Export selected as CSV" action, by staff role."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.models import AuditLogEntry
from members.models import Member, MemberImport
from tests.members.factories import MemberFactory, StaffFactory, StoreFactory

pytestmark = pytest.mark.django_db
UPLOAD = "/admin/members/memberimport/add/"
CHANGELIST = "/admin/members/member/"


@pytest.fixture(autouse=True)
def _no_mfa(settings):
    settings.STAFF_MFA_REQUIRED = False


def _staff_client(client, role: str):
    user = StaffFactory()
    user.groups.add(Group.objects.get(name=role))
    client.force_login(user)
    return client


def _csv(text: str) -> SimpleUploadedFile:
    return SimpleUploadedFile("members.csv", text.encode("utf-8"), content_type="text/csv")


def test_club_admin_uploads_previews_and_confirms(client, django_capture_on_commit_callbacks):
    # given a club admin
    client = _staff_client(client, "club admin")
    # when they upload a file with one good and one bad row
    response = client.post(
        UPLOAD,
        {
            "kind": "members",
            "file": _csv("first_name,last_name,email\nÅsa,Ek,asa@example.se\nBo,Ek,not-an-email\n"),
        },
    )
    member_import = MemberImport.objects.get()
    assert response.status_code == 302
    # then the preview shows the counts and the error with its line number; nothing imported
    preview = client.get(response["Location"])
    html = preview.content.decode()
    assert preview.status_code == 200 and "Enter a valid e-mail address." in html
    assert "<td>3</td>" in html
    assert Member.objects.count() == 0
    # when they confirm without skipping / then refused
    client.post(response["Location"], {"confirm": "Import"})
    assert Member.objects.count() == 0
    # when they tick "skip the bad rows" / then the good row is imported (by the worker's task,
    # queued once the confirmation commits)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(response["Location"], {"confirm": "Import", "skip_bad_rows": "on"})
    assert list(Member.objects.values_list("email", flat=True)) == ["asa@example.se"]
    member_import.refresh_from_db()
    assert member_import.status == MemberImport.Status.IMPORTED


def test_cancel_drops_the_file(client):
    # given an uploaded file
    client = _staff_client(client, "club admin")
    response = client.post(
        UPLOAD, {"kind": "members", "file": _csv("first_name,last_name,email\nA,B,a@example.se\n")}
    )
    # when cancelled
    client.post(response["Location"], {"cancel": "1"})
    # then nothing is imported and the content is gone
    member_import = MemberImport.objects.get()
    assert member_import.status == MemberImport.Status.CANCELLED
    assert bytes(member_import.content) == b"" and Member.objects.count() == 0


@pytest.mark.parametrize("role", ["marketer", "store staff", "moderator"])
def test_roles_without_import_permission_cannot_import(client, role):
    # given staff without members.import_member
    client = _staff_client(client, role)
    # when they open the upload page or post a file / then refused, nothing stored
    assert client.get(UPLOAD).status_code == 403
    response = client.post(
        UPLOAD, {"kind": "members", "file": _csv("first_name,last_name,email\nA,B,a@x.se\n")}
    )
    assert response.status_code == 403
    assert MemberImport.objects.count() == 0


def _export(client, members):
    return client.post(
        CHANGELIST,
        {"action": "export_members_csv", "_selected_action": [m.pk for m in members]},
    )


def test_export_csv_escapes_formulas_and_has_a_bom(client):
    # given a member whose name is a formula
    client = _staff_client(client, "marketer")
    member = MemberFactory(first_name="=cmd|' /C calc'!A0", city="Malmö")
    # when exported
    response = _export(client, [member])
    body = b"".join(response.streaming_content)
    # then the file is UTF-8 with BOM, the formula is text, Swedish letters intact
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="members.csv"'
    assert body.startswith(b"\xef\xbb\xbf")
    text = body.decode("utf-8-sig")
    assert "'=cmd|' /C calc'!A0" in text and "Malmö" in text
    assert text.splitlines()[0].startswith("membership number,first name")
    assert AuditLogEntry.objects.filter(action="member.export_csv").exists()


def test_export_csv_has_a_constant_number_of_queries(client):
    # given 3 and then 30 members with stores
    client = _staff_client(client, "marketer")
    store = StoreFactory()

    def queries_for(count: int) -> int:
        members = MemberFactory.create_batch(count, preferred_store=store)
        with CaptureQueriesContext(connection) as ctx:
            response = _export(client, members)
            lines = b"".join(response.streaming_content).decode("utf-8-sig").splitlines()
        assert len(lines) == count + 1
        return len(ctx.captured_queries)

    # then exporting 30 takes as many queries as exporting 3
    assert queries_for(3) == queries_for(30)


@pytest.mark.parametrize("role", ["store staff", "moderator"])
def test_roles_without_export_permission_do_not_get_the_action(client, role):
    # given staff without members.export_member
    client = _staff_client(client, role)
    member = MemberFactory()
    # when they look at the list / then the action is not offered
    response = client.get(CHANGELIST)
    assert b"export_members_csv" not in response.content
    # and posting it anyway exports nothing
    response = _export(client, [member])
    assert not hasattr(response, "streaming_content")
