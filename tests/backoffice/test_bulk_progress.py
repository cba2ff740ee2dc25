"""Bulk points adjustment shows its progress: a row per batch with a progress bar, figures
written after each chunk as absolute values, so a task run again after a restart ends right."""

from __future__ import annotations

import pytest

from members.services.segments import segment_create
from rewards.models import BulkAdjustment, PointsAccount
from rewards.services import bulk
from rewards.services.bulk import points_bulk_adjust_run, points_bulk_adjust_start
from tests.members.factories import MemberFactory

pytestmark = pytest.mark.django_db
RULES = {"op": "and", "rules": [{"field": "city", "operator": "eq", "value": "Luleå"}]}


def test_progress_is_recorded_and_a_second_run_changes_nothing(club_admin, monkeypatch):
    monkeypatch.setattr(bulk, "BULK_CHUNK", 2)
    members = [MemberFactory(city="Luleå") for _ in range(5)]
    plan = points_bulk_adjust_start(
        segment=segment_create(name="Luleå", rules=RULES),
        points=25,
        reason="Tack!",
        actor=club_admin.user,
    )
    row = BulkAdjustment.objects.get(batch=plan.batch)
    assert row.status == "running" and row.members == 5 and row.done == 0
    page = club_admin.get("/admin/rewards/bulkadjustment/").content.decode()
    assert "<progress" in page and 'http-equiv="refresh"' in page

    for _run in range(2):  # the task delivered twice (a worker restart)
        points_bulk_adjust_run(
            batch=plan.batch,
            snapshot_id=plan.snapshot_id,
            points=25,
            reason="Tack!",
            actor_id=club_admin.user.pk,
        )
    row.refresh_from_db()
    assert row.status == "done" and row.done == 5 and row.adjusted == 5
    assert [PointsAccount.objects.get(member=m).balance for m in members] == [25] * 5
    page = club_admin.get("/admin/rewards/bulkadjustment/").content.decode()
    assert 'http-equiv="refresh"' not in page


def test_marketers_do_not_see_bulk_adjustments(marketer):
    assert marketer.get("/admin/rewards/bulkadjustment/").status_code == 403
