"""Admin GDPR actions (download data, erase with confirmation) by role; the retention review
selector, list filter and report command."""

from __future__ import annotations

import datetime
import io
import zipfile

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.utils import timezone

from members.models import Member
from members.selectors.retention import members_due_for_retention_review
from tests.members.factories import (
    ConsentEventFactory,
    MemberFactory,
    PurchaseFactory,
    StaffFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db
CHANGELIST = "/admin/members/member/"


@pytest.fixture(autouse=True)
def _no_mfa(settings):
    settings.STAFF_MFA_REQUIRED = False


def _staff_client(client, role: str):
    user = StaffFactory()
    user.groups.add(Group.objects.get(name=role))
    client.force_login(user)
    return client


def _action(client, name, members, follow=False, **extra):
    return client.post(
        CHANGELIST,
        {"action": name, "_selected_action": [m.pk for m in members], **extra},
        follow=follow,
    )


def test_club_admin_downloads_one_members_data(client):
    # given a club admin and a member
    client = _staff_client(client, "club admin")
    member = MemberFactory(first_name="Åsa")
    # when they download the data of one member
    response = _action(client, "member_download_data", [member])
    # then a ZIP of that member
    assert response["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    assert "profile.json" in archive.namelist()
    # and two members at once is refused with a message
    response = _action(client, "member_download_data", [member, MemberFactory()], follow=True)
    assert b"exactly one member" in response.content


def test_erase_asks_for_confirmation_then_erases(client):
    # given a club admin and a member
    client = _staff_client(client, "club admin")
    member = MemberFactory(first_name="Åsa")
    # when they choose the action / then a confirmation page and nothing is erased yet
    response = _action(client, "member_erase_selected", [member])
    assert response.status_code == 200 and b"Yes, erase" in response.content
    member.refresh_from_db()
    assert member.status == Member.Status.ACTIVE
    # when they confirm / then the member is erased
    response = _action(client, "member_erase_selected", [member], post="yes", follow=True)
    member.refresh_from_db()
    assert member.status == Member.Status.ERASED
    assert b"was erased" in response.content
    # when they erase again / then a clear message and no change
    response = _action(client, "member_erase_selected", [member], post="yes", follow=True)
    assert b"already erased" in response.content


@pytest.mark.parametrize("role", ["marketer", "store staff", "moderator"])
def test_roles_without_erase_permission_get_no_gdpr_actions(client, role):
    # given staff without members.erase_member
    client = _staff_client(client, role)
    member = MemberFactory()
    # when they view the list / then neither action is offered
    page = client.get(CHANGELIST).content
    assert b"member_erase_selected" not in page and b"member_download_data" not in page
    # and posting the action anyway changes nothing
    _action(client, "member_erase_selected", [member], post="yes")
    member.refresh_from_db()
    assert member.status == Member.Status.ACTIVE


def _inactive_member(years: int = 4, **kwargs) -> Member:
    return MemberFactory(joined_at=timezone.now() - datetime.timedelta(days=365 * years), **kwargs)


def test_retention_selector_finds_only_inactive_members(settings, django_assert_num_queries):
    # given members inactive for 4 years, and others active in one way or another
    settings.MEMBER_RETENTION_YEARS = 3
    old = timezone.now() - datetime.timedelta(days=365 * 4)
    due = _inactive_member()
    PurchaseFactory(member=due, purchased_at=old)
    ConsentEventFactory(member=due, created_at=old)
    due_with_old_login = _inactive_member(user=UserFactory(last_login=old))
    bought = _inactive_member()
    PurchaseFactory(member=bought)
    consented = _inactive_member()
    ConsentEventFactory(member=consented)
    _inactive_member(user=UserFactory(last_login=timezone.now()))
    MemberFactory()  # joined recently
    erased = _inactive_member()
    Member.objects.filter(pk=erased.pk).update(status="erased", erased_at=timezone.now())
    # when selected / then only the inactive ones, in one query, with their last activity
    with django_assert_num_queries(1):
        found = list(members_due_for_retention_review())
    assert {m.pk for m in found} == {due.pk, due_with_old_login.pk}
    assert next(m for m in found if m.pk == due.pk).last_purchase_at == old


def test_retention_filter_in_the_member_list(client, settings):
    # given an inactive and an active member
    settings.MEMBER_RETENTION_YEARS = 3
    client = _staff_client(client, "club admin")
    due = _inactive_member(first_name="Gammal")
    MemberFactory(first_name="Aktiv")
    # when the list is filtered / then only the member due for review is shown
    response = client.get(CHANGELIST, {"retention": "due"})
    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == [due]


def test_retention_report_command_prints_count_and_writes_csv(tmp_path, settings):
    # given two inactive members
    settings.MEMBER_RETENTION_YEARS = 3
    members = [_inactive_member(), _inactive_member()]
    output = tmp_path / "review.csv"
    out = io.StringIO()
    # when the report runs
    call_command("members_retention_report", "--output", str(output), stdout=out)
    # then it prints the count and writes one row per member
    assert out.getvalue().startswith("2 members due for retention review")
    lines = output.read_text(encoding="utf-8-sig").splitlines()
    assert lines[0].startswith("id,number,status,joined_at")
    assert {line.split(",")[1] for line in lines[1:]} == {m.number for m in members}
