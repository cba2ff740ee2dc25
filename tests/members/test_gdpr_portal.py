"""The member's "My data" page: download their own data, delete their account."""

from __future__ import annotations

import io
import json
import zipfile

import pytest

from core.models import AuditLogEntry
from members.models import Member
from tests.members.factories import PASSWORD, MemberFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def member_client(client):
    user = UserFactory(email="asa@example.se")
    member = MemberFactory(user=user, email="asa@example.se", first_name="Åsa")
    client.force_login(user)
    return client, member


def test_my_data_page_needs_login(client):
    # given an anonymous visitor / when they open the page / then they are sent to log in
    response = client.get("/my-data/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_my_data_page_offers_download_and_delete(member_client):
    # given a logged-in member / when they open My data
    client, _member = member_client
    response = client.get("/my-data/")
    # then both actions are there
    assert response.status_code == 200
    assert b'action="/my-data/download/"' in response.content
    assert b'href="/my-data/delete/"' in response.content


def test_download_is_post_only_and_gives_only_the_members_own_data(member_client):
    # given two members
    client, member = member_client
    other = MemberFactory(first_name="Bertil", email="bertil@example.se")
    # when the member downloads with GET / then refused
    assert client.get("/my-data/download/").status_code == 405
    # when they POST (even naming the other member's id)
    response = client.post("/my-data/download/", {"member_id": other.pk})
    # then they get their own data, as a ZIP attachment, and the download is audited
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    assert "attachment" in response["Content-Disposition"]
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    profile = json.loads(archive.read("profile.json"))
    assert profile["first_name"] == "Åsa"
    assert b"bertil" not in b"".join(archive.read(n) for n in archive.namelist())
    assert AuditLogEntry.objects.filter(
        action="member.gdpr_export", target_id=str(member.pk)
    ).exists()


def test_delete_needs_the_typed_email_and_the_box(member_client):
    # given a logged-in member
    client, member = member_client
    # when they confirm with a wrong address and no tick
    response = client.post("/my-data/delete/", {"email": "other@example.se"})
    # then nothing happens and the form says why
    assert response.status_code == 200
    assert b"not the e-mail address" in response.content
    member.refresh_from_db()
    assert member.status == Member.Status.ACTIVE


def test_delete_erases_and_logs_out_and_the_login_no_longer_works(member_client):
    # given a logged-in member
    client, member = member_client
    # when they confirm with their address (any case) and the box ticked
    response = client.post("/my-data/delete/", {"email": " ASA@example.se ", "understood": "on"})
    # then they are erased, logged out, and cannot log in again
    assert response.status_code == 302
    member.refresh_from_db()
    assert member.status == Member.Status.ERASED and member.email == ""
    assert client.get("/my-data/").status_code == 302
    assert not client.login(email="asa@example.se", password=PASSWORD)
    entry = AuditLogEntry.objects.get(action="member.erase")
    assert entry.details["by"] == "member"


def test_a_login_without_member_sees_an_explanation_and_cannot_download(client):
    # given a login without a member
    client.force_login(UserFactory())
    # when they open My data / then a message; download gives 404
    assert b"no membership" in client.get("/my-data/").content
    assert client.post("/my-data/download/").status_code == 404
