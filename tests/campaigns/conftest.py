from __future__ import annotations

import pytest
from django.contrib.auth.models import Group

from members.roles import MARKETER
from tests.members.factories import ConsentEventFactory, MemberFactory, StaffFactory


@pytest.fixture
def marketer(db):
    user = StaffFactory()
    user.groups.add(Group.objects.get(name=MARKETER))
    return user


@pytest.fixture(autouse=True)
def _campaign_settings(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.SMS_BACKEND = "campaigns.sms.LocMemSmsBackend"
    settings.SITE_URL = "https://club.example.se"
    settings.CAMPAIGNS_FREQUENCY_CAP = 3
    from campaigns import sms

    sms.outbox.clear()
    yield
    sms.outbox.clear()


def consenting_member(*, purposes=("email",), **kwargs):
    member = MemberFactory(**kwargs)
    for purpose in purposes:
        ConsentEventFactory(member=member, purpose=purpose)
    return member
