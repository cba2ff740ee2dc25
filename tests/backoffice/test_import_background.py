"""The CSV import runs as a worker task in chunks, shows its progress, and stays correct when
the worker dies halfway: the task delivered again resumes from the committed progress."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group

from core.models import AuditLogEntry
from members.models import Member, MemberImport
from members.services import imports
from members.services.imports import member_import_queue, member_import_run, member_import_upload
from tests.members.factories import StaffFactory

pytestmark = pytest.mark.django_db


def _file(rows: int, bad_line: int | None = None) -> bytes:
    lines = ["first_name,last_name,email"]
    for index in range(rows):
        email = "broken" if index + 2 == bad_line else f"kund{index}@example.se"
        lines.append(f"Kund,Nummer{index},{email}")
    return ("\n".join(lines) + "\n").encode()


@pytest.fixture
def admin_user():
    user = StaffFactory()
    user.groups.add(Group.objects.get(name="club admin"))
    return user


def test_queued_import_runs_in_chunks_to_the_end(admin_user, django_capture_on_commit_callbacks):
    upload = member_import_upload(kind="members", filename="m.csv", data=_file(7), actor=admin_user)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        started = member_import_queue(member_import=upload, actor=admin_user)
    assert started.status == MemberImport.Status.IMPORTING and started.progress == 0
    assert len(callbacks) == 1  # the task, queued after the commit
    done = member_import_run(member_import_id=upload.pk, actor_id=admin_user.pk, chunk_rows=3)
    assert done.status == MemberImport.Status.IMPORTED
    assert done.progress == 7 and done.created_count == 7
    assert Member.objects.count() == 7
    assert done.content in (b"", memoryview(b""))
    assert AuditLogEntry.objects.filter(action="member_import.confirm").count() == 1


def test_worker_dying_mid_import_loses_nothing_and_doubles_nothing(admin_user, monkeypatch):
    upload = member_import_upload(kind="members", filename="m.csv", data=_file(7), actor=admin_user)
    member_import_queue(member_import=upload, actor=admin_user)
    # given a worker that dies while importing the third chunk (after two committed)
    real = imports._rows_apply
    calls = {"n": 0}

    def dying(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 3:
            raise SystemExit("worker lost")
        return real(*args, **kwargs)

    monkeypatch.setattr(imports, "_rows_apply", dying)
    with pytest.raises(SystemExit):
        member_import_run(member_import_id=upload.pk, actor_id=admin_user.pk, chunk_rows=2)
    halfway = MemberImport.objects.get(pk=upload.pk)
    assert halfway.status == MemberImport.Status.IMPORTING
    assert halfway.progress == 4 and Member.objects.count() == 4
    # when the task is delivered again (twice, even)
    monkeypatch.setattr(imports, "_rows_apply", real)
    member_import_run(member_import_id=upload.pk, actor_id=admin_user.pk, chunk_rows=2)
    again = member_import_run(member_import_id=upload.pk, actor_id=admin_user.pk, chunk_rows=2)
    # then every row is imported exactly once
    assert again.status == MemberImport.Status.IMPORTED
    assert again.created_count == 7 and again.progress == 7
    assert Member.objects.count() == 7


def test_rows_with_errors_are_refused_unless_skipped(admin_user):
    upload = member_import_upload(
        kind="members", filename="m.csv", data=_file(3, bad_line=3), actor=admin_user
    )
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        member_import_queue(member_import=upload, actor=admin_user)
    assert MemberImport.objects.get(pk=upload.pk).status == MemberImport.Status.PREVIEWED
    member_import_queue(member_import=upload, actor=admin_user, skip_bad_rows=True)
    done = member_import_run(member_import_id=upload.pk, chunk_rows=2)
    assert done.created_count == 2 and done.skipped_count == 1
    assert done.errors and done.errors[0]["line"] == 3


def test_progress_page_shows_a_bar_and_refreshes(club_admin):
    upload = member_import_upload(
        kind="members", filename="m.csv", data=_file(4), actor=club_admin.user
    )
    member_import_queue(member_import=upload, actor=club_admin.user)
    html = club_admin.get(f"/admin/members/memberimport/{upload.pk}/change/").content.decode()
    assert "<progress" in html and 'max="4"' in html and 'value="0"' in html
    assert 'http-equiv="refresh"' in html


def test_a_stalled_import_can_be_resumed(club_admin, django_capture_on_commit_callbacks):
    import datetime

    from django.utils import timezone

    upload = member_import_upload(
        kind="members", filename="m.csv", data=_file(2), actor=club_admin.user
    )
    member_import_queue(member_import=upload, actor=club_admin.user)
    MemberImport.objects.filter(pk=upload.pk).update(
        progress_at=timezone.now() - datetime.timedelta(minutes=10)
    )
    url = f"/admin/members/memberimport/{upload.pk}/change/"
    html = club_admin.get(url).content.decode()
    assert 'name="resume"' in html and 'http-equiv="refresh"' not in html
    with django_capture_on_commit_callbacks(execute=True):
        club_admin.post(url, {"resume": "1"})
    assert MemberImport.objects.get(pk=upload.pk).status == MemberImport.Status.IMPORTED
    assert Member.objects.count() == 2
