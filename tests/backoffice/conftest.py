"""Staff of each role, logged in (MFA off for these tests: it has its own tests)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.test import Client

from members.roles import CLUB_ADMIN, MARKETER, MODERATOR, STORE_STAFF
from tests.members.factories import StaffFactory


@pytest.fixture
def role_client(db, settings):
    """role_client("store staff") -> a Client logged in as a staff user in that role."""
    settings.STAFF_MFA_REQUIRED = False

    def make(role: str, **extra) -> Client:
        user = StaffFactory(**extra)
        if role:
            user.groups.add(Group.objects.get(name=role))
        client = Client()
        client.force_login(user)
        client.user = user  # type: ignore[attr-defined]
        return client

    return make


@pytest.fixture
def club_admin(role_client):
    return role_client(CLUB_ADMIN)


@pytest.fixture
def marketer(role_client):
    return role_client(MARKETER)


@pytest.fixture
def moderator(role_client):
    return role_client(MODERATOR)


@pytest.fixture
def store_staff(role_client):
    return role_client(STORE_STAFF)
