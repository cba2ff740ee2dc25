"""Two staff confirming the same import at the same moment (PostgreSQL): the row lock on the
import, not luck, imports it once."""

from __future__ import annotations

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from members.models import Member, MemberImport
from members.services.imports import member_import_confirm, member_import_upload
from tests.members.factories import StaffFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_the_same_import_confirmed_twice_at_once_is_imported_once():
    # given a previewed file of 20 members
    staff = StaffFactory()
    rows = "".join(f"Namn{i},Efternamn,m{i}@example.se\n" for i in range(20))
    member_import = member_import_upload(
        kind="members",
        filename="m.csv",
        data=("first_name,last_name,email\n" + rows).encode(),
        actor=staff,
    )
    barrier = threading.Barrier(2)
    results: list = [None, None]

    def worker(index: int) -> None:
        try:
            barrier.wait(timeout=300)
            member_import_confirm(member_import=member_import, actor=staff)
            results[index] = "ok"
        except ValidationError:
            results[index] = "refused"
        except Exception as error:  # pragma: no cover - reported by the assertion
            results[index] = repr(error)
        finally:
            connection.close()

    # when two confirmations race
    threads = [threading.Thread(target=worker, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=600)

    # then one imports, the other is refused, and each member exists once
    assert sorted(results) == ["ok", "refused"]
    assert Member.objects.count() == 20
    assert MemberImport.objects.get().status == MemberImport.Status.IMPORTED
