"""403, 404 and 500 in the portal's look (the admin's under /admin/), in the user's language."""

import pytest
from django.core.exceptions import PermissionDenied
from django.test import RequestFactory
from django.utils import translation

from core import errors

pytestmark = pytest.mark.django_db


def test_a_missing_portal_page_is_styled_and_in_english(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    page = response.content.decode()
    assert "We cannot find that page" in page and 'class="site-header"' in page


def test_a_missing_page_is_in_swedish_for_a_swedish_visitor(client):
    client.cookies["lojal_language"] = "sv"
    page = client.get("/no-such-page/").content.decode()
    assert '<html lang="sv">' in page and "Vi hittar inte sidan" in page


def test_a_missing_admin_page_has_the_admin_look(staff_user):
    request = RequestFactory().get("/admin/no-such-thing/at-all/")
    request.user = staff_user
    response = errors.page_not_found(request)
    assert response.status_code == 404
    page = response.content.decode()
    assert "We cannot find that page" in page and 'id="site-name"' in page
    assert 'class="site-header"' not in page


def test_403_and_500_pages():
    request = RequestFactory().get("/rewards/")
    from django.contrib.auth.models import AnonymousUser

    request.user = AnonymousUser()
    with translation.override("sv"):
        forbidden = errors.permission_denied(request, PermissionDenied())
        broken = errors.server_error(request)
    assert forbidden.status_code == 403 and "Du får inte öppna sidan" in forbidden.content.decode()
    assert broken.status_code == 500 and "Något gick fel hos oss" in broken.content.decode()


def test_the_500_page_shows_even_when_its_layout_cannot_render(monkeypatch):
    request = RequestFactory().get("/")

    class Broken:
        @property
        def is_authenticated(self):
            raise RuntimeError("database down")

    request.user = Broken()
    response = errors.server_error(request)
    assert response.status_code == 500
    assert "Something went wrong on our side" in response.content.decode()
