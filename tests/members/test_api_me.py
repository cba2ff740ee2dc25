"""GET /api/v1/me/ and the API's schema and docs."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tests.members.factories import PASSWORD, MemberFactory, UserFactory

ME = "/api/v1/me/"


@pytest.mark.django_db
def test_me_refuses_an_anonymous_client(api_client):
    # when nobody is logged in
    response = api_client.get(ME)

    # then the API refuses, without data
    assert response.status_code in (401, 403)
    assert "email" not in response.json()


@pytest.mark.django_db
def test_me_refuses_a_bad_token(api_client, user):
    # given a token that is not one
    api_client.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")

    # when it is used
    response = api_client.get(ME)

    # then it is refused (403, not 401: the first authentication class is the session's, which
    # sends no WWW-Authenticate challenge)
    assert response.status_code in (401, 403)
    assert "Invalid token" in response.json()["detail"]


@pytest.mark.django_db
def test_me_with_a_session_shows_only_my_own_data(client):
    # given two members, one logged in through the site's login
    me = UserFactory(first_name="Kim", last_name="Berg", language="sv")
    me.groups.add(Group.objects.get(name="marketer"))
    other = UserFactory()
    assert client.post("/accounts/login/", {"login": me.email, "password": PASSWORD}).status_code
    assert client.session["_auth_user_id"] == str(me.pk)

    # when the API is asked who I am
    response = client.get(ME)

    # then the answer is me, and nothing of the other member
    assert response.status_code == 200
    body = response.json()
    assert body["id"] == me.pk
    assert body["email"] == me.email
    assert (body["first_name"], body["last_name"], body["language"]) == ("Kim", "Berg", "sv")
    assert body["is_staff"] is False
    assert body["roles"] == ["marketer"]
    assert "date_joined" in body
    assert "password" not in body
    assert other.email not in response.text


@pytest.mark.django_db
def test_me_with_a_token_shows_the_token_owner():
    # given two members, each with an API token
    me, other = UserFactory(), UserFactory()
    token = Token.objects.create(user=me)
    Token.objects.create(user=other)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")

    # when the API is asked who I am
    response = client.get(ME)

    # then it is the token's owner
    assert response.status_code == 200
    assert response.json()["id"] == me.pk
    assert response.json()["email"] == me.email
    assert response.json()["roles"] == []


@pytest.mark.django_db
def test_me_is_read_only(member_api_client):
    # when a client tries to write to it
    response = member_api_client.post(ME, {"email": "evil@example.se"}, format="json")

    # then the method is not allowed
    assert response.status_code == 405


@pytest.mark.django_db
def test_session_writes_need_the_csrf_token(user):
    # given a session-authenticated client that enforces CSRF like a browser
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(user)

    # when it posts without the CSRF token
    response = client.post(ME, {}, format="json")

    # then it is refused before the view
    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]


@pytest.mark.django_db
def test_the_openapi_schema_describes_me(client):
    # when the schema is fetched
    response = client.get("/api/schema/", {"format": "json"})

    # then it is an OpenAPI document with the me endpoint
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    assert "/api/v1/me/" in schema["paths"]
    assert "get" in schema["paths"]["/api/v1/me/"]


@pytest.mark.django_db
def test_the_api_docs_page_answers_and_uses_no_cdn(client):
    # when the Swagger UI page and its script (the CSP-friendly split view) are fetched
    response = client.get("/api/docs/")
    script = client.get("/api/docs/", {"script": ""})

    # then both answer, the script points at our schema, and nothing loads from a CDN
    assert response.status_code == 200
    assert script.status_code == 200
    html = response.content.decode()
    js = script.content.decode()
    assert "/static/drf_spectacular_sidecar/" in html
    assert "/api/docs/?script=" in html
    assert "/api/schema/" in js
    for cdn in ("cdn.", "jsdelivr", "unpkg", "cdnjs"):
        assert cdn not in html, cdn
        assert cdn not in js, cdn


@pytest.mark.django_db
def test_a_token_of_a_deactivated_login_is_refused_in_the_users_language():
    # given a token whose login has since been deactivated
    user = UserFactory(is_active=False)
    token = Token.objects.create(user=user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")

    # when it is used, in Swedish
    response = client.get(ME, HTTP_ACCEPT_LANGUAGE="sv")

    # then it is refused with a reason in Swedish, and nothing about the login is shown
    assert response.status_code in (401, 403)
    assert response.json() == {"detail": "Användaren borttagen eller inaktiv."}


@pytest.mark.django_db
def test_the_token_comes_back_with_the_request():
    from members.api.authentication import TokenAuthentication

    user = UserFactory()
    token = Token.objects.create(user=user)

    found_user, found_token = TokenAuthentication().authenticate_credentials(token.key)

    assert found_user == user and found_user.email == user.email
    assert found_token.key == token.key and found_token.user_id == user.pk
    assert found_token.created == token.created


@pytest.mark.django_db
def test_the_token_brings_the_member_along_and_member_for_login_needs_no_query(
    django_assert_num_queries,
):
    from members.api.authentication import TokenAuthentication
    from members.selectors.profiles import member_for_login

    # given a login with a member, and one without
    member = MemberFactory(user=UserFactory())
    lone = UserFactory()
    tokens = [Token.objects.create(user=member.user), Token.objects.create(user=lone)]

    # when each authenticates with its token (one query each)
    with django_assert_num_queries(2):
        (user, _token), (lone_user, _lone_token) = (
            TokenAuthentication().authenticate_credentials(token.key) for token in tokens
        )

    # then the member comes along, and member_for_login answers without a query
    with django_assert_num_queries(0):
        assert member_for_login(user=user) == member
        assert member_for_login(user=user).user is user
        assert member_for_login(user=lone_user) is None
