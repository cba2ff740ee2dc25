"""Adding an e-mail address to one's login: never one that another login has verified."""

from __future__ import annotations

import pytest
from allauth.account.models import EmailAddress
from django.core import mail

from core.models import OutgoingEmail
from tests.members.factories import UserFactory

pytestmark = pytest.mark.django_db

EMAIL_PAGE = "/accounts/email/"
REFUSED = "cannot be added to your login"


def _add(client, email: str):
    return client.post(EMAIL_PAGE, {"action_add": "", "email": email})


def test_another_logins_verified_address_is_refused_and_its_owner_gets_no_mail(client):
    # given a member whose address is verified (the factory verifies it), and another member
    owner = UserFactory()
    intruder = UserFactory()
    client.force_login(intruder)
    mail.outbox.clear()

    # when the intruder adds the owner's address (another spelling of it)
    response = _add(client, owner.email.upper())

    # then it is refused with a neutral message, not stored, and nothing is sent to the owner
    assert response.status_code == 200
    assert REFUSED in " ".join(str(e) for e in response.context["form"].errors["email"])
    assert not EmailAddress.objects.filter(user=intruder, email__iexact=owner.email).exists()
    assert not any(owner.email in m.to for m in mail.outbox)
    assert not OutgoingEmail.objects.filter(recipients__icontains=owner.email).exists()


def test_an_address_verified_as_a_second_address_of_another_login_is_refused(client):
    owner = UserFactory()
    EmailAddress.objects.create(user=owner, email="second@example.se", verified=True)
    intruder = UserFactory()
    client.force_login(intruder)

    response = _add(client, "second@example.se")

    assert REFUSED in " ".join(str(e) for e in response.context["form"].errors["email"])


def test_a_free_address_can_still_be_added(client):
    member = UserFactory()
    client.force_login(member)

    response = _add(client, "new-address@example.se")

    assert response.status_code == 302
    assert EmailAddress.objects.filter(user=member, email="new-address@example.se").exists()
