import pytest

from core import navigation


@pytest.fixture
def registered_link():
    # given: an app registers a members-only link and a public one
    saved = dict(navigation._items)
    navigation.portal_nav_register(label="Medlemssida", url_name="core:member-home", order=5)
    navigation.portal_nav_register(
        label="Startsida", url_name="core:home", order=1, members_only=False
    )
    navigation.portal_nav_register(label="Saknas", url_name="no-such-page")
    yield
    navigation._items.clear()
    navigation._items.update(saved)


@pytest.mark.django_db
def test_members_only_links_show_only_to_logged_in_members(client, user, registered_link):
    # when: an anonymous visitor and then a member open the portal
    anonymous = client.get("/").content.decode()
    client.force_login(user)
    member = client.get("/home/").content.decode()

    # then: the visitor sees only the public link, the member both, marked current where they are
    assert "Startsida" in anonymous and "Medlemssida" not in anonymous
    assert "Medlemssida" in member
    assert '<a href="/home/" aria-current="page">Medlemssida</a>' in member
    # and a link whose page does not exist is left out rather than breaking the page
    assert "Saknas" not in member
