"""The member's profile page and consent preference centre in the portal."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client

from core.models import AuditLogEntry
from members.models import ConsentEvent, ConsentPurpose, ConsentText, Member
from members.services.consent import consent_text_publish
from tests.members.factories import (
    ConsentTextFactory,
    InterestFactory,
    MemberFactory,
    StaffFactory,
    StoreFactory,
    UserFactory,
)

PROFILE = "/profile/"
PREFERENCES = "/preferences/"


@pytest.fixture
def texts(db):
    return {purpose: ConsentTextFactory(purpose=purpose) for purpose in ConsentPurpose.values}


@pytest.fixture
def me(db):
    user = UserFactory(language="en")
    member = MemberFactory(user=user, email=user.email, first_name="Kim", language="en")
    return member


@pytest.fixture
def my_client(me) -> Client:
    client = Client(enforce_csrf_checks=True)
    client.force_login(me.user)
    return client


def _csrf(client: Client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200
    return response.context["csrf_token"].__str__()


def _profile_data(**overrides) -> dict:
    data = {
        "first_name": "Kim",
        "last_name": "Berg",
        "phone": "070-123 45 67",
        "birth_date": "1985-05-17",
        "postcode": "113 50",
        "city": "Stockholm",
        "language": "en",
        "preferred_store": "",
    }
    data.update(overrides)
    return data


@pytest.mark.django_db
def test_pages_need_a_login(client):
    for url in (PROFILE, PREFERENCES):
        response = client.get(url)
        assert response.status_code == 302
        assert "/accounts/login/" in response.url


@pytest.mark.django_db
def test_profile_shows_only_my_own_data(my_client, me):
    # given another member in the club
    other = MemberFactory(first_name="Zlatan", phone="+46739999999", email="zlatan@example.se")

    # when I open my profile
    response = my_client.get(PROFILE)

    # then I see my number and data, and nothing of the other member
    html = response.content.decode()
    assert response.status_code == 200
    assert me.number in html and 'value="Kim"' in html
    assert other.number not in html and "Zlatan" not in html and other.email not in html


@pytest.mark.django_db
def test_profile_post_saves_through_the_service_with_a_message(my_client, me):
    # given a store and an interest to choose
    store = StoreFactory()
    interest = InterestFactory()
    token = _csrf(my_client, PROFILE)

    # when I change my profile
    response = my_client.post(
        PROFILE,
        _profile_data(csrfmiddlewaretoken=token, preferred_store=store.pk, interests=[interest.pk]),
        follow=True,
    )

    # then it is saved, normalised, logged, and I am told so
    me.refresh_from_db()
    assert (me.last_name, me.phone, me.postcode) == ("Berg", "+46701234567", "11350")
    assert me.preferred_store == store and list(me.interests.all()) == [interest]
    assert "Your profile is saved." in [str(m) for m in response.context["messages"]]
    entry = AuditLogEntry.objects.get(action="member.update")
    assert entry.actor == me.user and "phone" in entry.details["fields"]


@pytest.mark.django_db
def test_profile_post_without_csrf_is_refused(my_client, me):
    response = my_client.post(PROFILE, _profile_data(last_name="Hacked"))
    assert response.status_code == 403
    me.refresh_from_db()
    assert me.last_name != "Hacked"


@pytest.mark.django_db
def test_profile_errors_are_shown_next_to_the_fields_and_nothing_is_saved(my_client, me):
    token = _csrf(my_client, PROFILE)

    # when I enter a bad phone, a future birth date and a valid city
    response = my_client.post(
        PROFILE,
        _profile_data(
            csrfmiddlewaretoken=token, phone="12345", birth_date="2999-01-01", city="Lund"
        ),
    )

    # then the form comes back with the messages on the fields, and nothing changed
    assert response.status_code == 200
    form = response.context["form"]
    assert "valid mobile" in form.errors["phone"][0]
    assert "future" in form.errors["birth_date"][0]
    html = response.content.decode()
    assert "field--invalid" in html and "The birth date cannot be in the future." in html
    me.refresh_from_db()
    assert me.city == "Stockholm"


@pytest.mark.django_db
def test_profile_cannot_change_fields_that_are_not_mine_to_change(my_client, me):
    token = _csrf(my_client, PROFILE)
    my_client.post(
        PROFILE,
        _profile_data(
            csrfmiddlewaretoken=token, notes="I am VIP", status="paused", email="x@example.se"
        ),
    )
    me.refresh_from_db()
    assert (me.notes, me.status, me.email) == ("", "active", me.user.email)


@pytest.mark.django_db
def test_profile_in_swedish(my_client, me):
    my_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "sv"
    response = my_client.get(PROFILE)
    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="sv">' in html and me.number in html


@pytest.mark.django_db
def test_a_staff_user_without_a_member_gets_one_on_the_first_visit(client):
    staff = StaffFactory()
    client.force_login(staff)

    response = client.get(PROFILE)

    assert response.status_code == 200
    member = Member.objects.get(user=staff)
    assert member.source == "portal" and member.number in response.content.decode()


@pytest.mark.django_db
def test_preferences_show_the_exact_current_text_in_my_language(my_client, me, texts):
    # given version 2 of the SMS text
    v2 = consent_text_publish(
        purpose="sms", text_sv="Sms, version två.", text_en="SMS, version two."
    )

    response = my_client.get(PREFERENCES)

    html = response.content.decode()
    assert response.status_code == 200
    assert texts["email"].text_en.replace("'", "&#x27;") in html
    assert v2.text_en in html and texts["sms"].text_en not in html
    # and in Swedish
    my_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "sv"
    assert "Sms, version två." in my_client.get(PREFERENCES).content.decode()


@pytest.mark.django_db
def test_granting_and_withdrawing_from_the_preference_centre(my_client, me, texts):
    token = _csrf(my_client, PREFERENCES)

    # when I agree to e-mail marketing
    response = my_client.post(
        PREFERENCES,
        {"csrfmiddlewaretoken": token, "purpose": "email", "granted": "1", "version": "1"},
        follow=True,
        REMOTE_ADDR="203.0.113.7",
    )

    # then the grant is logged from the portal with my address and the text shown
    event = ConsentEvent.objects.get(member=me)
    assert (event.granted, event.source, event.ip_address) == (True, "portal", "203.0.113.7")
    assert event.text == texts["email"] and event.actor == me.user
    assert any("you agreed" in str(m) for m in response.context["messages"])
    assert "Withdraw my consent" in response.content.decode()

    # when I withdraw it, just as easily
    response = my_client.post(
        PREFERENCES,
        {"csrfmiddlewaretoken": token, "purpose": "email", "granted": "0"},
        follow=True,
    )

    # then the latest event is a withdrawal
    latest = ConsentEvent.objects.filter(member=me).order_by("-created_at", "-id").first()
    assert latest.granted is False and latest.text is None
    assert any("do not consent" in str(m) for m in response.context["messages"])


@pytest.mark.django_db
def test_agreeing_to_a_text_that_changed_meanwhile_is_refused(my_client, me, texts):
    token = _csrf(my_client, PREFERENCES)
    consent_text_publish(purpose="email", text_sv="Ny", text_en="New")

    # when my form still shows version 1
    response = my_client.post(
        PREFERENCES,
        {"csrfmiddlewaretoken": token, "purpose": "email", "granted": "1", "version": "1"},
        follow=True,
    )

    # then nothing is recorded and I am asked to read the new text
    assert not ConsentEvent.objects.exists()
    assert any("has changed" in str(m) for m in response.context["messages"])


@pytest.mark.django_db
def test_granting_without_a_published_text_shows_the_error(my_client, me):
    ConsentText.objects.all().delete()
    token = _csrf(my_client, PREFERENCES)
    response = my_client.post(
        PREFERENCES,
        {"csrfmiddlewaretoken": token, "purpose": "email", "granted": "1", "version": "1"},
        follow=True,
    )
    assert not ConsentEvent.objects.exists()
    assert any("changed" in str(m) for m in response.context["messages"])
    assert "does not ask for this consent yet" in response.content.decode()


@pytest.mark.django_db
def test_preferences_only_ever_change_my_own_consents(my_client, me, texts):
    other = MemberFactory()
    token = _csrf(my_client, PREFERENCES)
    my_client.post(
        PREFERENCES,
        {
            "csrfmiddlewaretoken": token,
            "purpose": "email",
            "granted": "1",
            "version": "1",
            "member": other.pk,
            "number": other.number,
        },
    )
    assert not ConsentEvent.objects.filter(member=other).exists()
    assert ConsentEvent.objects.filter(member=me).count() == 1


@pytest.mark.django_db
def test_preferences_refuse_junk(my_client, me, texts):
    token = _csrf(my_client, PREFERENCES)
    response = my_client.post(
        PREFERENCES, {"csrfmiddlewaretoken": token, "purpose": "telepathy", "granted": "1"}
    )
    assert response.status_code == 302
    assert not ConsentEvent.objects.exists()


@pytest.mark.django_db
def test_the_portal_navigation_links_the_member_pages(client, me):
    # given a logged-in member on the preferences page
    client.force_login(me.user)

    html = client.get(PREFERENCES).content.decode()

    # then the main navigation links both pages and marks the current one
    assert f'href="{PROFILE}"' in html
    assert f'href="{PREFERENCES}" aria-current="page"' in html
