"""Sign-up through allauth gives the login its member: a new one, or the till member with the
same e-mail once the address is confirmed."""

from __future__ import annotations

import pytest
from django.core import mail

from members.models import Member, User
from members.services.profiles import member_number_is_valid
from tests.members.factories import PASSWORD, MemberFactory

SIGNUP = "/accounts/signup/"


def _sign_up(client, email: str, capture) -> None:
    with capture(execute=True):
        response = client.post(
            SIGNUP,
            {"email": email, "password1": PASSWORD, "password2": PASSWORD, "accept_terms": "on"},
        )
    assert response.status_code == 302


def _confirm(client) -> None:
    link = next(
        line.strip() for line in mail.outbox[-1].body.splitlines() if "/confirm-email/" in line
    )
    response = client.post(link[link.index("/accounts/") :])
    assert response.status_code == 302


@pytest.mark.django_db
def test_signup_creates_a_portal_member(client, django_capture_on_commit_callbacks):
    # when a visitor with an unknown address signs up
    _sign_up(client, "Ny.Medlem@Example.SE", django_capture_on_commit_callbacks)

    # then the login has a member who joined through the portal
    user = User.objects.get()
    member = Member.objects.get(user=user)
    assert member.source == "portal" and member.email == "ny.medlem@example.se"
    assert member_number_is_valid(member.number)


@pytest.mark.django_db
def test_signup_links_the_till_member_once_the_email_is_confirmed(
    client, django_capture_on_commit_callbacks
):
    # given a member who joined at the till, without a login
    till = MemberFactory(email="kim@example.se", source="store", phone="+46701234567")

    # when someone signs up with that address (another spelling)
    _sign_up(client, " KIM@example.se", django_capture_on_commit_callbacks)

    # then nothing is linked yet: typing someone's address must not reveal their profile
    user = User.objects.get(email="kim@example.se")
    till.refresh_from_db()
    assert till.user is None
    assert not Member.objects.filter(user=user).exists()

    # when the address is confirmed
    _confirm(client)

    # then the login is linked to the till member, and no second member exists
    till.refresh_from_db()
    assert till.user == user
    assert Member.objects.count() == 1
    # and the member's profile page shows the till member's number
    response = client.get("/profile/")
    assert response.status_code == 200
    assert till.number in response.content.decode()
