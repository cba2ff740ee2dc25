"""core.services.audit_log and the read-only audit log in the admin."""

from __future__ import annotations

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.contrib.admin.sites import site as admin_site
from django.contrib.auth.models import AnonymousUser
from django.test import RequestFactory

from core.admin import AuditLogEntryAdmin
from core.models import AuditLogEntry
from core.services import audit_log, client_ip
from tests.members.factories import UserFactory

CHANGELIST = "/admin/core/auditlogentry/"


def _request(user=None, **meta):
    request = RequestFactory().post("/somewhere/", **meta)
    request.user = user or AnonymousUser()
    return request


@pytest.mark.django_db
def test_records_the_actor_and_the_target(user):
    # given a member who is the target of an action by a staff user
    staff = UserFactory(email="staff@example.se", is_staff=True)

    # when the action is logged
    entry = audit_log(action="members.user.deactivate", actor=staff, target=user)

    # then who did what to which object is recorded, as stored
    entry.refresh_from_db()
    assert entry.actor == staff
    assert entry.actor_label == "staff@example.se"
    assert entry.action == "members.user.deactivate"
    assert entry.target_type == "members.user"
    assert entry.target_id == str(user.pk)
    assert entry.target_repr == user.email
    assert entry.ip_address is None
    assert entry.details == {}
    assert entry.created_at is not None


@pytest.mark.django_db
def test_without_an_actor_the_system_did_it():
    # given no actor and no request
    # when something is logged
    entry = audit_log(action="core.idempotency_keys.purge", details={"deleted": 3})

    # then the system is the actor and the details are kept
    entry.refresh_from_db()
    assert entry.actor is None
    assert entry.actor_label == "system"
    assert (entry.target_type, entry.target_id, entry.target_repr) == ("", "", "")
    assert entry.details == {"deleted": 3}


@pytest.mark.django_db
def test_the_request_gives_the_actor_and_the_ip(user):
    # given a request by a logged-in member from 203.0.113.7
    request = _request(user, REMOTE_ADDR="203.0.113.7")

    # when an action is logged with the request and no explicit actor
    entry = audit_log(action="members.profile.change", request=request, target=user)

    # then the request's user is the actor and its address is recorded
    entry.refresh_from_db()
    assert entry.actor == user
    assert entry.actor_label == user.email
    assert entry.ip_address == "203.0.113.7"


@pytest.mark.django_db
def test_an_anonymous_request_is_the_system_with_the_ip():
    # given an anonymous request
    request = _request(REMOTE_ADDR="198.51.100.2")

    # when something is logged
    entry = audit_log(action="accounts.signup.refused", request=request)

    # then the actor is the system but the address is kept
    entry.refresh_from_db()
    assert entry.actor_label == "system"
    assert entry.ip_address == "198.51.100.2"


@pytest.mark.django_db
def test_an_explicit_actor_wins_over_the_request_user(user):
    # given a request by one user, and an explicit other actor
    other = UserFactory()
    request = _request(user, REMOTE_ADDR="203.0.113.7")

    # when it is logged
    entry = audit_log(action="x", actor=other, request=request)

    # then the explicit actor is recorded
    assert entry.actor == other


@pytest.mark.django_db
def test_behind_two_trusted_proxies_the_entry_they_appended_is_the_client(user, settings):
    # given two trusted proxies, and a client that put a forged entry of its own first
    settings.TRUSTED_PROXY_COUNT = 2
    request = _request(
        user, REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR=" 192.0.2.66 , 203.0.113.9 , 10.0.0.5"
    )

    # when it is logged
    entry = audit_log(action="x", request=request)

    # then the address the outer proxy saw is recorded, neither the forgery nor a proxy's
    entry.refresh_from_db()
    assert entry.ip_address == "203.0.113.9"


@pytest.mark.django_db
def test_without_trusted_proxies_x_forwarded_for_is_ignored(user):
    # given the default (no trusted proxy) and a client that sends the header itself
    request = _request(user, REMOTE_ADDR="198.51.100.4", HTTP_X_FORWARDED_FOR="203.0.113.9")

    # when it is logged
    entry = audit_log(action="x", request=request)

    # then the connection's address is recorded
    entry.refresh_from_db()
    assert entry.ip_address == "198.51.100.4"


@pytest.mark.django_db
def test_an_ipv6_client_address_is_kept(user):
    # given an IPv6 client
    request = _request(user, REMOTE_ADDR="2001:db8::1")

    # when it is logged
    entry = audit_log(action="x", request=request)

    # then the address round-trips
    entry.refresh_from_db()
    assert entry.ip_address == "2001:db8::1"


@pytest.mark.django_db
@pytest.mark.parametrize("forwarded", ["unknown", "not-an-ip, 10.0.0.5", "<script>"])
def test_a_forged_or_junk_x_forwarded_for_never_breaks_the_write(user, forwarded, settings):
    settings.TRUSTED_PROXY_COUNT = 2  # the header is read, and what it holds is junk
    # given a header a client may send anything in (PostgreSQL's inet type refuses junk)
    request = _request(user, REMOTE_ADDR="198.51.100.4", HTTP_X_FORWARDED_FOR=forwarded)

    # when the action is logged
    entry = audit_log(action="x", request=request)

    # then the write succeeds and falls back to the connection's address
    entry.refresh_from_db()
    assert entry.ip_address == "198.51.100.4"


def test_client_ip_without_a_request_is_none():
    # given no request / a request without any address
    # then there is no address
    assert client_ip(None) is None
    assert client_ip(RequestFactory().get("/", REMOTE_ADDR="")) is None


@pytest.mark.django_db
def test_long_object_names_are_cut_to_the_column(user):
    # given an object whose name is longer than the column
    user.first_name = "x"
    user.email = "a" * 150 + "@" + "b" * 90 + ".se"
    user.save()

    # when it is logged
    entry = audit_log(action="x", target=user)

    # then the name is cut, not refused
    entry.refresh_from_db()
    assert len(entry.target_repr) == 200


# --- The admin -------------------------------------------------------------------------------


@pytest.fixture
def superuser_client(client, db):
    """A superuser with TOTP set up (staff MFA is required), logged in."""
    admin = UserFactory(email="root@example.se", is_staff=True, is_superuser=True)
    TOTP.activate(admin, generate_totp_secret())
    assert Authenticator.objects.filter(user=admin).exists()
    client.force_login(admin)
    return client


def test_the_model_admin_refuses_add_change_and_delete_even_to_a_superuser(rf):
    # given the registered admin for the audit log and a superuser's request
    model_admin = admin_site._registry[AuditLogEntry]
    request = rf.get(CHANGELIST)
    request.user = UserFactory.build(is_staff=True, is_superuser=True)

    # then nothing may be added, changed or deleted
    assert isinstance(model_admin, AuditLogEntryAdmin)
    assert model_admin.has_add_permission(request) is False
    assert model_admin.has_change_permission(request) is False
    assert model_admin.has_delete_permission(request) is False
    assert model_admin.has_view_permission(request) is True


@pytest.mark.django_db
def test_the_changelist_is_read_only_for_a_superuser(superuser_client):
    # given an entry in the log
    entry = audit_log(action="members.user.deactivate", details={"reason": "asked"})

    # when a superuser opens the changelist, the add form, the entry and its delete page
    changelist = superuser_client.get(CHANGELIST)
    add = superuser_client.get(f"{CHANGELIST}add/")
    detail = superuser_client.get(f"{CHANGELIST}{entry.pk}/change/")
    change = superuser_client.post(f"{CHANGELIST}{entry.pk}/change/", {"action": "edited"})
    delete = superuser_client.post(f"{CHANGELIST}{entry.pk}/delete/", {"post": "yes"})
    bulk_delete = superuser_client.post(
        CHANGELIST, {"action": "delete_selected", "_selected_action": [entry.pk], "post": "yes"}
    )

    # then the list shows it with no way to add, change or delete
    assert changelist.status_code == 200
    assert "members.user.deactivate" in changelist.text
    assert f"{CHANGELIST}add/" not in changelist.text
    assert "delete_selected" not in changelist.text
    assert add.status_code == 403
    assert detail.status_code == 200
    assert 'name="_save"' not in detail.text
    assert change.status_code == 403
    assert delete.status_code == 403
    assert bulk_delete.status_code in (200, 302, 403)
    entry.refresh_from_db()
    assert entry.action == "members.user.deactivate"
    assert AuditLogEntry.objects.filter(pk=entry.pk).exists()


@pytest.mark.django_db
def test_the_changelist_is_searchable(superuser_client):
    # given entries about different things
    audit_log(action="rewards.redeem", details={})
    target = UserFactory(email="sokbar@example.se")
    audit_log(action="members.user.deactivate", target=target)

    # when a superuser searches for the target's e-mail
    response = superuser_client.get(CHANGELIST, {"q": "sokbar@example"})

    # then only the matching entry is listed
    assert response.status_code == 200
    assert response.context["cl"].result_count == 1
    assert [e.action for e in response.context["cl"].result_list] == ["members.user.deactivate"]


@pytest.mark.django_db
def test_staff_without_view_permission_do_not_see_the_log(client):
    # given a staff user with MFA but no permission on the audit log
    staff = UserFactory(is_staff=True)
    TOTP.activate(staff, generate_totp_secret())
    client.force_login(staff)

    # when they open the changelist
    response = client.get(CHANGELIST)

    # then it is refused
    assert response.status_code == 403
