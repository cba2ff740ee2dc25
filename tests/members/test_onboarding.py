"""Onboarding (issue 11): sign-up shows the membership terms and privacy notice the club edits,
offers the consents unticked with their bonus, says who invited the visitor, and greets the new
member by name once the profile is complete."""

from __future__ import annotations

import pytest
from django.urls import reverse

from core.models import AuditLogEntry
from members.models import ClubPage, ConsentEvent, Member, User
from tests.members.factories import PASSWORD, ConsentTextFactory, MemberFactory, UserFactory
from tests.rewards.factories_earning import ActivityRuleFactory

pytestmark = pytest.mark.django_db
SIGNUP = "/accounts/signup/"


@pytest.fixture(autouse=True)
def pages():
    # Migration 0011 writes them; a flushing test before this one may have removed them.
    for kind, sv, en in [
        ("terms", "Medlemsvillkor", "Membership terms"),
        ("privacy", "Integritetspolicy", "Privacy notice"),
    ]:
        ClubPage.objects.get_or_create(
            kind=kind,
            defaults={"title_sv": sv, "title_en": en, "body_sv": sv, "body_en": en},
        )


@pytest.fixture
def texts():
    ConsentTextFactory(
        purpose="email", version=99, text_en="We send news by e-mail, at most weekly."
    )
    ConsentTextFactory(purpose="sms", version=99, text_en="We text you about offers.")


def test_signup_shows_terms_privacy_and_unticked_consents_with_their_bonus(client, texts):
    ActivityRuleFactory(activity="consent_given", points=50)

    page = client.get(SIGNUP).content.decode()

    assert reverse("members:terms") in page and reverse("members:privacy") in page
    assert "We send news by e-mail, at most weekly." in page
    assert 'name="consent_email"' in page and 'name="consent_sms"' in page
    assert "checked" not in page
    assert "+50\xa0points" in page


def test_terms_and_privacy_are_pages_the_club_edits(client):
    page = ClubPage.objects.get(kind="terms")
    page.title_en, page.body_en = "Our terms", "## Points\n\nPoints last a year."
    page.save()

    content = client.get(reverse("members:terms")).content.decode()
    assert "Our terms" in content and "<h2>Points</h2>" in content
    assert client.get(reverse("members:privacy")).status_code == 200
    client.cookies["lojal_language"] = "sv"
    assert "Integritetspolicy" in client.get(reverse("members:privacy")).content.decode()


def test_signup_without_accepting_the_terms_is_refused_and_writes_nothing(client, texts):
    response = client.post(
        SIGNUP, {"email": "ny@example.se", "password1": PASSWORD, "password2": PASSWORD}
    )
    assert response.status_code == 200
    assert "Please accept the membership terms to join the club." in response.content.decode()
    assert not User.objects.exists() and not Member.objects.exists()


def test_signup_with_a_consent_records_it_with_its_text_and_the_terms(
    client, texts, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            SIGNUP,
            {
                "email": "ny@example.se",
                "first_name": "Nora",
                "password1": PASSWORD,
                "password2": PASSWORD,
                "consent_email": "on",
                "accept_terms": "on",
            },
        )
    assert response.status_code == 302
    member = Member.objects.get()
    assert member.first_name == "Nora" and member.user.first_name == "Nora"
    event = ConsentEvent.objects.get(member=member)
    assert (event.purpose, event.granted, event.source) == ("email", True, "portal")
    assert event.text.text_en == "We send news by e-mail, at most weekly."
    accepted = AuditLogEntry.objects.get(action="member.terms_accepted")
    assert set(accepted.details["pages"]) == {"terms", "privacy"}


def test_signup_link_says_who_invited(client):
    referrer = MemberFactory(first_name="Ingrid", last_name="Hemlig")
    page = client.get(f"{SIGNUP}?ref={referrer.number}").content.decode()
    assert "Invited by Ingrid" in page and "Hemlig" not in page


def test_completing_the_profile_greets_by_name(client):
    user = UserFactory(first_name="")
    member = MemberFactory(
        user=user,
        email=user.email,
        first_name="",
        last_name="Berg",
        phone="+46701234567",
        birth_date="1990-01-01",
        postcode="11122",
    )
    client.force_login(user)

    home = client.get("/").content.decode()
    assert "Complete your profile" in home and "first name" in home

    response = client.post(
        reverse("members:profile"),
        {
            "first_name": "Maja",
            "last_name": "Berg",
            "phone": "070-123 45 67",
            "birth_date": "1990-01-01",
            "postcode": "111 22",
            "city": "",
            "language": "en",
        },
        follow=True,
    )
    page = response.content.decode()
    assert "Thank you, Maja! Your profile is complete." in page
    member.refresh_from_db()
    assert "Complete your profile" not in client.get("/").content.decode()
