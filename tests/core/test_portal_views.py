"""The portal's pages, its layout and the language switch."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.urls import reverse

from tests.members.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

LANGUAGE_URL = reverse("members:language-set")


def _log_in(client, user) -> None:
    """Log in through allauth's form, so it records the authentication (MFA pages need it)."""
    response = client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    assert response.status_code == 302


def _reauthenticate(client) -> None:
    """Confirm the password again, as allauth asks before changing two-factor settings."""
    response = client.post(reverse("account_reauthenticate"), {"password": PASSWORD})
    assert response.status_code == 302


def _csp_directives(response) -> dict[str, list[str]]:
    header = response.headers["Content-Security-Policy"]
    directives = {}
    for part in header.split(";"):
        name, *values = part.split()
        directives[name] = values
    return directives


# --- Welcome and home --------------------------------------------------------------------------


def test_welcome_page_tells_a_visitor_what_the_club_offers(client):
    # given an anonymous visitor
    # when they open the front page
    response = client.get("/")

    # then they see what membership brings and ways in
    assert response.status_code == 200
    assert "portal/welcome.html" in [t.name for t in response.templates]
    content = response.content.decode()
    assert "Rewards you choose yourself" in content
    assert "Club events" in content
    assert "Members helping members" in content
    assert f'href="{reverse("account_signup")}"' in content
    assert f'href="{reverse("account_login")}"' in content


def test_member_home_sends_an_anonymous_visitor_to_log_in(client):
    # given an anonymous visitor
    # when they open the member home page
    response = client.get(reverse("core:member-home"))

    # then they are asked to log in first, and come back afterwards
    assert response.status_code == 302
    assert response.url == f"{reverse('account_login')}?next={reverse('core:member-home')}"


@pytest.mark.parametrize("path", ["/", "/home/"])
def test_member_home_shows_the_members_own_details(client, user, path):
    # given a logged-in member and another member
    other = UserFactory()
    client.force_login(user)

    # when the member opens their home page
    response = client.get(path)

    # then it greets them and shows their membership, not anyone else's
    assert response.status_code == 200
    assert "portal/home.html" in [t.name for t in response.templates]
    content = response.content.decode()
    assert user.email in content
    assert user.first_name in content
    assert other.email not in content
    assert reverse("account_change_password") in content
    assert reverse("mfa_index") in content


def test_member_without_first_name_is_greeted_by_email(client):
    # given a member who has not told us their first name
    member = UserFactory(first_name="")
    client.force_login(member)

    # when they open the home page
    response = client.get("/")

    # then the greeting uses their e-mail address
    assert f"Hello, {member.email}!" in response.content.decode()


def test_layout_has_landmarks_skip_link_and_language(client):
    # given an anonymous visitor
    # when they open any page
    content = client.get("/").content.decode()

    # then the layout is navigable by keyboard and screen reader
    assert '<html lang="en">' in content
    assert 'class="skip-link" href="#main"' in content
    assert 'id="main"' in content
    for landmark in ("<header", "<nav", "<main", "<footer"):
        assert landmark in content
    assert '<meta name="csrf-token"' in content
    assert "vendor/htmx/htmx.min.js" in content


def test_layout_has_no_inline_scripts_or_styles(client, user):
    # given pages for a visitor and for a member
    pages = [client.get("/"), client.get(reverse("account_login"))]
    client.force_login(user)
    pages += [client.get("/"), client.get(reverse("account_email"))]

    for response in pages:
        content = response.content.decode()
        # then every executable script is a file, and nothing is styled inline
        for tag in re.findall(r"<script[^>]*>", content):
            assert "src=" in tag or 'type="application/json"' in tag, tag
        assert "<style" not in content
        assert " style=" not in content


def test_logged_in_member_logs_out_through_a_post_form(client, user):
    # given a logged-in member
    client.force_login(user)

    # when they look at the navigation
    content = client.get("/").content.decode()

    # then "Log out" is a POST form with a CSRF token
    logout_url = reverse("account_logout")
    match = re.search(
        rf'<form[^>]*method="post"[^>]*action="{logout_url}"[^>]*>(.*?)</form>', content, re.S
    )
    assert match is not None
    assert "csrfmiddlewaretoken" in match.group(1)


def test_responses_carry_a_strict_content_security_policy(client):
    # given an anonymous visitor
    # when they open the front page
    response = client.get("/")

    # then the policy allows scripts and styles from the site only, never inline
    directives = _csp_directives(response)
    assert directives["script-src"] == ["'self'"]
    assert "'unsafe-inline'" not in directives["script-src"]
    assert "'unsafe-inline'" not in directives["style-src"]


# --- The language switch -----------------------------------------------------------------------


def test_language_switch_saves_the_members_choice_and_sets_the_cookie(client):
    # given a logged-in member who reads the portal in Swedish
    member = UserFactory(language="sv")
    client.force_login(member)

    # when they switch to English
    response = client.post(LANGUAGE_URL, {"language": "en", "next": "/home/"})

    # then the choice is kept on their account and in the cookie, and they return where they were
    assert response.status_code == 302
    assert response.url == "/home/"
    member.refresh_from_db()
    assert member.language == "en"
    cookie = response.cookies[settings.LANGUAGE_COOKIE_NAME]
    assert cookie.value == "en"
    assert cookie["httponly"]
    assert cookie["samesite"] == "Lax"


def test_language_switch_for_a_visitor_sets_only_the_cookie(client):
    # given an anonymous visitor
    # when they switch to Swedish
    response = client.post(LANGUAGE_URL, {"language": "sv", "next": "/"})

    # then the cookie carries the choice and the next page is Swedish
    assert response.status_code == 302
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "sv"
    page = client.get("/")
    assert '<html lang="sv">' in page.content.decode()


def test_language_switch_refuses_get(client):
    # when someone opens the switch with GET
    response = client.get(LANGUAGE_URL, {"language": "sv"})

    # then it is not allowed, and nothing is set
    assert response.status_code == 405
    assert settings.LANGUAGE_COOKIE_NAME not in response.cookies


def test_language_switch_rejects_an_unknown_language(client, user):
    # given a logged-in member
    client.force_login(user)

    # when they post a language the club does not offer
    response = client.post(LANGUAGE_URL, {"language": "de", "next": "/"})

    # then the request is refused and nothing changes
    assert response.status_code == 400
    assert "That language is not available." in response.content.decode()
    assert settings.LANGUAGE_COOKIE_NAME not in response.cookies
    user.refresh_from_db()
    assert user.language == "sv"


def test_language_switch_rejects_an_unknown_language_in_swedish(client):
    # given a visitor who reads the portal in Swedish
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "sv"

    # when they post a language the club does not offer
    response = client.post(LANGUAGE_URL, {"language": "xx"})

    # then the refusal is in Swedish
    assert response.status_code == 400
    assert "Det språket finns inte." in response.content.decode()


@pytest.mark.parametrize(
    "next_url",
    ["https://evil.example.com/", "//evil.example.com/", "http://evil.example.com/home/", ""],
)
def test_language_switch_ignores_an_unsafe_next(client, next_url):
    # when the switch is posted with a `next` that leads off the site (or none)
    response = client.post(LANGUAGE_URL, {"language": "en", "next": next_url})

    # then it goes home instead
    assert response.status_code == 302
    assert response.url == reverse("core:home")


# --- Swedish -----------------------------------------------------------------------------------


def test_login_page_is_swedish_when_the_language_cookie_says_so(client):
    # given a visitor whose language cookie is Swedish
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "sv"

    # when they open the login page
    response = client.get(reverse("account_login"))

    # then the page and its labels are in Swedish
    content = response.content.decode()
    assert '<html lang="sv">' in content
    assert '<label for="id_password">Lösenord</label>' in content
    assert '<label for="id_login">E-postadress</label>' in content
    assert "Logga in" in content
    assert "Gå till huvudinnehållet" in content


def test_member_home_is_swedish_for_a_swedish_member(client):
    # given a Swedish-speaking member who has logged in
    member = UserFactory(language="sv", first_name="Astrid")
    _log_in(client, member)

    # when they open their home page
    response = client.get("/")

    # then it speaks Swedish
    content = response.content.decode()
    assert '<html lang="sv">' in content
    assert "Hej Astrid!" in content
    assert "Ditt medlemskap" in content
    assert "Svenska" in content


# --- The login page ----------------------------------------------------------------------------


def test_login_page_has_labelled_inputs_with_autocomplete(client):
    # when a visitor opens the login page
    response = client.get(reverse("account_login"))

    # then each input has a label and says what the browser may fill in
    content = response.content.decode()
    assert response.status_code == 200
    assert '<label for="id_login">' in content
    assert '<label for="id_password">' in content
    assert re.search(r'<input[^>]*autocomplete="email"[^>]*id="id_login"', content)
    assert re.search(r'<input[^>]*autocomplete="current-password"[^>]*id="id_password"', content)


def test_login_errors_are_tied_to_their_fields(client):
    # when a visitor submits the login form without a password
    response = client.post(reverse("account_login"), {"login": "nobody@example.se"})

    # then the password input is marked invalid and points to its error message
    content = response.content.decode()
    assert response.status_code == 200
    assert re.search(
        r'<input[^>]*aria-invalid="true"[^>]*aria-describedby="[^"]*id_password_error', content
    ) or re.search(
        r'<input[^>]*aria-describedby="[^"]*id_password_error[^"]*"[^>]*aria-invalid="true"',
        content,
    )
    assert 'id="id_password_error"' in content


def test_wrong_password_is_announced(client, user):
    # when a member types the wrong password
    response = client.post(reverse("account_login"), {"login": user.email, "password": "nope"})

    # then the error about the whole form is in an alert region
    content = response.content.decode()
    assert '<div role="alert">' in content
    assert "errorlist nonfield" in content


@pytest.mark.parametrize(
    "url_name",
    [
        "account_signup",
        "account_reset_password",
        "account_email",
        "account_change_password",
        "mfa_index",
        "mfa_activate_totp",
        "account_logout",
        "account_reauthenticate",
    ],
)
def test_account_pages_use_the_portal_layout(client, user, url_name):
    # given a logged-in member (the entrance pages work for visitors too)
    if url_name not in ("account_signup", "account_reset_password"):
        _log_in(client, user)
    if url_name == "mfa_activate_totp":
        _reauthenticate(client)

    # when they open an account page
    response = client.get(reverse(url_name))

    # then it is drawn in the portal's layout
    assert response.status_code == 200
    templates = [t.name for t in response.templates]
    assert "base.html" in templates
    assert 'class="skip-link"' in response.content.decode()


def test_totp_activation_shows_the_qr_code_as_an_image(client, user):
    # given a logged-in member without two-factor authentication, who confirmed their password
    _log_in(client, user)
    _reauthenticate(client)

    # when they start turning it on
    response = client.get(reverse("mfa_activate_totp"))

    # then the QR code is a data: image, which the CSP allows, with a text alternative
    content = response.content.decode()
    qr_image = r'<img class="qr-code" src="data:image/svg\+xml;base64,[^"]+" alt="[^"]+'
    assert re.search(qr_image, content)
    assert "data:" in _csp_directives(response)["img-src"]
    assert '<label for="id_code">' in content


def test_admin_shows_the_club_name_and_a_way_back(client, staff_user):
    # given a staff member who has set up two-factor authentication
    from allauth.mfa.models import Authenticator

    Authenticator.objects.create(user=staff_user, type=Authenticator.Type.TOTP, data={})
    client.force_login(staff_user)

    # when they open the admin
    response = client.get(reverse("admin:index"))

    # then the club's name heads it, with a link back to the portal
    content = response.content.decode()
    assert response.status_code == 200
    assert f"{settings.CLUB_NAME} administration" in content
    assert "Back to the Lojal portal" in content
    assert " style=" not in content.split('id="branding"')[1].split("</div>")[0]


def test_the_header_switch_and_the_profiles_language_are_one_setting(client):
    # given a member whose login and member speak English
    from tests.members.factories import MemberFactory

    user = UserFactory(language="en")
    member = MemberFactory(user=user, email=user.email, language="en")
    client.force_login(user)

    # when they switch to Swedish in the header
    client.post(reverse("members:language-set"), {"language": "sv", "next": "/"})

    # then the login and the member (their profile, e-mail and SMS language) both speak Swedish
    user.refresh_from_db()
    member.refresh_from_db()
    assert (user.language, member.language) == ("sv", "sv")
    profile = client.get(reverse("members:profile")).content.decode()
    assert '<option value="sv" selected>' in profile
