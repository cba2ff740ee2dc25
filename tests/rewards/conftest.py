"""Fixtures for the rewards tests."""

import pytest

REDEEM_PATHS = [
    pytest.param("database", marks=pytest.mark.postgres, id="in-database"),
    pytest.param("orm", id="orm"),
]


@pytest.fixture(params=REDEEM_PATHS)
def redeem_path(request, settings):
    """Run the test once with each implementation of reward_redeem: the PostgreSQL function
    (migration 0006, what production uses) and the ORM reference (what SQLite uses)."""
    settings.REWARDS_REDEEM_IN_DATABASE = request.param == "database"
    return request.param
