"""core.db.fetch_joined / fetch_instances: plain queries loaded as the ORM would load them."""

import pytest
from django.db import connection

from core.db import fetch_instances, fetch_joined, model_columns
from core.models import AuditLogEntry
from core.services import audit_log
from members.models import Member, User
from tests.members.factories import MemberFactory, UserFactory

pytestmark = pytest.mark.django_db


def _fields(instance) -> dict:
    return {f.attname: getattr(instance, f.attname) for f in instance._meta.concrete_fields}


def test_instances_equal_what_the_orm_loads_converters_included():
    # given a row with a JSON field and a timestamp (both need the backend's converters)
    entry = audit_log(action="x.y", details={"count": 3, "names": ["Å", "b"]})

    # when it is loaded by a plain query
    table = AuditLogEntry._meta.db_table
    (loaded,) = fetch_instances(
        AuditLogEntry,
        f"SELECT {model_columns(AuditLogEntry, 'a')} FROM {table} a WHERE a.id = %s",  # noqa: S608
        [entry.pk],
    )

    # then it is the ORM's instance, field for field, and saved state is "from the database"
    assert _fields(loaded) == _fields(AuditLogEntry.objects.get(pk=entry.pk))
    assert loaded.details == {"count": 3, "names": ["Å", "b"]}
    assert not loaded._state.adding and loaded._state.db == connection.alias


def test_an_outer_join_without_a_row_gives_none():
    # given one login with a member and one without
    with_member = MemberFactory(user=UserFactory()).user
    without = UserFactory()
    sql = (
        f"SELECT {model_columns(User, 'u')}, {model_columns(Member, 'm')} "  # noqa: S608
        f"FROM {User._meta.db_table} u LEFT JOIN {Member._meta.db_table} m ON m.user_id = u.id "
        "WHERE u.id IN (%s, %s) ORDER BY u.id"
    )

    # when both are loaded with their members
    rows = fetch_joined(sql, [with_member.pk, without.pk], [User, Member])

    # then each row is (user, member or None)
    assert [(user.pk, member.pk if member else None) for user, member in rows] == [
        (with_member.pk, with_member.member.pk),
        (without.pk, None),
    ]
    assert _fields(rows[0][1]) == _fields(Member.objects.get(user=with_member))


def test_no_rows_is_an_empty_list():
    table = AuditLogEntry._meta.db_table
    sql = f"SELECT {model_columns(AuditLogEntry, 'a')} FROM {table} a WHERE a.id = %s"  # noqa: S608
    assert fetch_instances(AuditLogEntry, sql, [-1]) == []
