"""core.db.literal_parameters: batch jobs quote their parameters into the SQL (PostgreSQL)."""

import pytest
from django.db import connection

from core.db import literal_parameters

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def test_literals_inside_the_block_and_the_configured_binding_after():
    from django.db.backends.postgresql.base import Cursor

    connection.ensure_connection()
    configured = connection.connection.cursor_factory

    with literal_parameters(), connection.cursor() as cursor:
        assert isinstance(cursor.cursor, Cursor)
        cursor.execute("SELECT %s::int + 1", [41])
        assert cursor.fetchone()[0] == 42

    assert connection.connection.cursor_factory is configured


def test_the_binding_is_restored_when_the_block_fails():
    connection.ensure_connection()
    configured = connection.connection.cursor_factory
    with pytest.raises(ZeroDivisionError), literal_parameters():
        1 / 0  # noqa: B018
    assert connection.connection.cursor_factory is configured
