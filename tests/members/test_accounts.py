"""Accounts: the e-mail user, sign-up and login through allauth, lockout, staff MFA, roles."""

from __future__ import annotations

import importlib
import os
import time

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.totp.internal import auth as totp_auth
from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, generate_totp_secret, hotp_value
from django.conf import settings
from django.contrib.auth.models import Group
from django.core import mail
from django.db import IntegrityError, transaction
from django.urls import reverse

from members.models import User, normalize_email
from members.roles import ROLES
from tests.members.factories import PASSWORD, StaffFactory, UserFactory

LOGIN = "/accounts/login/"
SIGNUP = "/accounts/signup/"
LOCKED_OUT = "Too many failed login attempts"


def _login(client, email: str, password: str, url: str = LOGIN):
    return client.post(url, {"login": email, "password": password})


def _is_logged_in(client) -> bool:
    return "_auth_user_id" in client.session


def _fail_logins(client, email: str, times: int) -> None:
    for _attempt in range(times):
        response = _login(client, email, "wrong password")
        assert response.status_code == 200
        assert not _is_logged_in(client)


def _form_errors(response) -> str:
    """The login form's errors, as the view gave them to the template (not as a template shows
    them, which the portal's templates may style as they like)."""
    assert response.context is not None, (
        f"no form: {response.status_code} {response.get('Location')}"
    )
    return " ".join(str(e) for e in response.context["form"].errors.values())


def _totp_code(secret: str, monkeypatch) -> str:
    """The code of the current 30-second step, with the verifier pinned to that same step: a
    code made at :29.9 must not be checked at :30.0 on a busy machine."""
    counter = int(time.time()) // 30
    monkeypatch.setattr(totp_auth, "yield_hotp_counters_from_time", lambda: iter([counter]))
    return format_hotp_value(hotp_value(secret, counter))


# --- The user model --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("Medlem@Example.SE", "medlem@example.se"),
        ("  medlem@example.se \n", "medlem@example.se"),
        ("ｍｅｄｌｅｍ@ｅｘａｍｐｌｅ.ｓｅ", "medlem@example.se"),  # full-width forms, NFKC
        ("ﬁlip@example.se", "filip@example.se"),  # the "fi" ligature, NFKC
        ("ÅSA@exempel.se", "åsa@exempel.se"),
        ("A\u030asa@example.se", "åsa@example.se"),  # A + combining ring → Å → å
        (None, ""),
    ],
)
def test_normalize_email_gives_one_spelling_per_address(given, stored):
    assert normalize_email(given) == stored


@pytest.mark.django_db
def test_create_user_stores_the_normalised_email_and_a_hashed_password():
    # when a user is created with a messy address
    user = User.objects.create_user(" Kim.Andersson@Example.SE ", password="s3cret-Passw0rd")

    # then one spelling is stored, the password is hashed, and the user is a plain member
    user.refresh_from_db()
    assert user.email == "kim.andersson@example.se"
    assert user.check_password("s3cret-Passw0rd")
    assert user.password != "s3cret-Passw0rd"
    assert (user.is_staff, user.is_superuser, user.is_active) == (False, False, True)
    assert User.objects.get_by_natural_key("KIM.ANDERSSON@example.se ") == user
    assert User.objects.with_email("ｋｉｍ.andersson@example.se").get() == user


@pytest.mark.django_db
def test_create_user_without_an_email_is_refused():
    with pytest.raises(ValueError, match="e-mail address is required"):
        User.objects.create_user("   ", password="x")


@pytest.mark.django_db
def test_create_superuser_is_staff_and_superuser_and_refuses_otherwise():
    # when a superuser is created
    root = User.objects.create_superuser("Root@Example.SE", password="x")

    # then it has both flags, and asking for a non-staff superuser is refused
    assert (root.email, root.is_staff, root.is_superuser) == ("root@example.se", True, True)
    with pytest.raises(ValueError, match="is_staff=True"):
        User.objects.create_superuser("other@example.se", password="x", is_staff=False)


@pytest.mark.django_db
def test_save_normalises_an_email_set_on_the_instance(user):
    # when the e-mail is changed to another spelling and saved through the model
    user.email = "  NY.Adress@Example.SE"
    user.save()

    # then the stored value is normalised
    user.refresh_from_db()
    assert user.email == "ny.adress@example.se"


@pytest.mark.django_db
def test_the_same_address_in_another_case_is_the_same_user(user):
    # given an existing user
    # when another user is created with the same address in other case and spacing
    # then the unique index refuses it, since both are stored in one spelling
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create_user(f"  {user.email.upper()} ", password="x")


@pytest.mark.django_db
def test_the_database_refuses_an_upper_case_email_written_by_update(user):
    # when an upper-case e-mail is written behind the model's back
    # then the check constraint refuses it
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.filter(pk=user.pk).update(email="Medlem@Example.SE")
    user.refresh_from_db()
    assert user.email == user.email.lower()


@pytest.mark.django_db
def test_the_database_refuses_an_upper_case_email_written_by_bulk_create():
    # when users are bulk-created (no save(), so no normalisation) with an upper-case e-mail
    # then the check constraint refuses them
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.bulk_create([User(email="Bulk@Example.SE")])
    assert not User.objects.filter(email__iexact="bulk@example.se").exists()


# --- Sign-up ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_signup_creates_the_user_and_mails_a_verification_link(
    client, django_capture_on_commit_callbacks
):
    # when a visitor signs up with a messy spelling of their address
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client.post(
            SIGNUP,
            {
                "email": " Ny.Medlem@Example.SE ",
                "password1": PASSWORD,
                "password2": PASSWORD,
                "accept_terms": "on",
            },
        )

    # then the user exists with the normalised, unverified address and is not logged in
    assert response.status_code == 302
    assert response.url == reverse("account_email_verification_sent")
    user = User.objects.get()
    assert user.email == "ny.medlem@example.se"
    assert user.check_password(PASSWORD)
    assert user.language == settings.LANGUAGE_CODE
    address = EmailAddress.objects.get(user=user)
    assert (address.email, address.verified, address.primary) == (user.email, False, True)
    assert not _is_logged_in(client)

    # and the verification e-mail went through the e-mail task, after the commit
    assert len(callbacks) == 1
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["ny.medlem@example.se"]
    assert message.subject.startswith(settings.ACCOUNT_EMAIL_SUBJECT_PREFIX)
    assert "/accounts/confirm-email/" in message.body


@pytest.mark.django_db
def test_login_is_refused_until_the_email_is_verified(client, django_capture_on_commit_callbacks):
    # given a member whose e-mail is not verified yet
    member = UserFactory(verified=False)
    EmailAddress.objects.create(user=member, email=member.email, primary=True, verified=False)

    # when they log in with the right password
    with django_capture_on_commit_callbacks(execute=True):
        response = _login(client, member.email, PASSWORD)

    # then they are not let in: they are sent to verify, and a new link is mailed
    assert response.status_code == 302
    assert response.url == reverse("account_email_verification_sent")
    assert not _is_logged_in(client)
    assert [m.to for m in mail.outbox] == [[member.email]]


@pytest.mark.django_db
def test_following_the_verification_link_verifies_and_lets_the_member_in(
    client, django_capture_on_commit_callbacks
):
    # given a sign-up and its verification e-mail
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            SIGNUP,
            {
                "email": "kim@example.se",
                "password1": PASSWORD,
                "password2": PASSWORD,
                "accept_terms": "on",
            },
        )
    link = next(
        line.strip() for line in mail.outbox[0].body.splitlines() if "/confirm-email/" in line
    )
    path = link[link.index("/accounts/") :]

    # when the member confirms
    response = client.post(path)

    # then the address is verified and the member is logged in (LOGIN_ON_EMAIL_CONFIRMATION)
    assert response.status_code == 302
    assert EmailAddress.objects.get(email="kim@example.se").verified is True
    assert _is_logged_in(client)


@pytest.mark.django_db
def test_signup_with_another_spelling_of_an_existing_address_creates_no_second_user(
    client, django_capture_on_commit_callbacks
):
    # given a member medlem@example.se
    existing = UserFactory(email="medlem@example.se")

    # when someone signs up with " Medlem@Example.SE "
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            SIGNUP,
            {
                "email": " Medlem@Example.SE ",
                "password1": PASSWORD,
                "password2": PASSWORD,
                "accept_terms": "on",
            },
        )

    # then no second user is made and the password is untouched; allauth's enumeration
    # prevention answers as for a new sign-up and tells the owner by e-mail instead
    assert User.objects.count() == 1
    existing.refresh_from_db()
    assert existing.check_password(PASSWORD)
    assert response.status_code == 302
    assert response.url == reverse("account_email_verification_sent")
    assert not _is_logged_in(client)
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["medlem@example.se"]
    assert "already" in mail.outbox[0].body.lower()


@pytest.mark.django_db
def test_signup_with_an_existing_address_is_refused_on_the_form_without_enumeration_prevention(
    client, settings
):
    # given a member, and a site that does not hide which addresses have accounts
    UserFactory(email="medlem@example.se")
    settings.ACCOUNT_PREVENT_ENUMERATION = False

    # when someone signs up with another spelling of that address
    response = client.post(
        SIGNUP,
        {
            "email": " Medlem@Example.SE ",
            "password1": PASSWORD,
            "password2": PASSWORD,
            "accept_terms": "on",
        },
    )

    # then the form says so, and no second user is made
    assert response.status_code == 200
    assert "already registered" in str(response.context["form"].errors["email"])
    assert User.objects.count() == 1


# --- Login and lockout -----------------------------------------------------------------------


@pytest.mark.django_db
def test_a_verified_member_logs_in_with_any_spelling_of_their_address(client, user):
    # when a verified member logs in with their address in other case
    response = _login(client, f" {user.email.upper()} ", PASSWORD)

    # then they are in
    assert response.status_code == 302
    assert _is_logged_in(client)
    assert int(client.session["_auth_user_id"]) == user.pk


@pytest.mark.django_db
def test_after_the_failed_login_limit_even_the_right_password_is_refused(client, user):
    # given as many failed logins for one address as the limit allows
    _fail_logins(client, user.email, settings.LOGIN_ATTEMPTS_LIMIT)

    # when the right password comes next
    response = _login(client, user.email, PASSWORD)

    # then it is refused with the rate-limit message
    assert response.status_code in (200, 429)
    assert LOCKED_OUT in _form_errors(response)
    assert not _is_logged_in(client)


@pytest.mark.django_db
def test_one_attempt_under_the_limit_still_lets_the_member_in(client, user):
    # given one failed login fewer than the limit
    _fail_logins(client, user.email, settings.LOGIN_ATTEMPTS_LIMIT - 1)

    # when the right password comes
    response = _login(client, user.email, PASSWORD)

    # then the member is in
    assert response.status_code == 302
    assert _is_logged_in(client)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "variant",
    [
        lambda email: email.upper(),
        lambda email: f"  {email}  ",
        # "ſ" (long s) passes e-mail validation, and NFKC makes it "s": the same account
        lambda email: email.replace("s", "ſ", 1),
    ],
    ids=["upper-case", "spaces", "long-s"],
)
def test_the_lockout_counts_every_spelling_of_the_address(client, user, variant):
    # given failed logins spread over spellings of one address that all reach the same account
    for attempt in range(settings.LOGIN_ATTEMPTS_LIMIT):
        email = variant(user.email) if attempt % 2 else user.email
        _login(client, email, "wrong password")

    # when the right password comes with yet another spelling
    response = _login(client, variant(user.email), PASSWORD)

    # then the address is locked all the same
    assert LOCKED_OUT in _form_errors(response)
    assert not _is_logged_in(client)


@pytest.mark.django_db
def test_the_lockout_of_one_address_does_not_lock_another(client, user):
    # given a locked-out address
    _fail_logins(client, user.email, settings.LOGIN_ATTEMPTS_LIMIT)
    other = UserFactory()

    # when another member logs in from the same place
    response = _login(client, other.email, PASSWORD)

    # then they are let in
    assert response.status_code == 302
    assert _is_logged_in(client)


@pytest.mark.django_db
def test_the_admin_login_takes_no_password_and_sends_to_the_allauth_login(client, staff_user):
    # when someone posts the right staff password straight to the admin's login
    response = _login(client, staff_user.email, PASSWORD, url="/admin/login/?next=/admin/")

    # then Django's own admin login never runs: nobody is logged in, and the client is sent to
    # allauth's login (with its rate limits and MFA), keeping where they were going
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))
    assert "next=%2Fadmin%2F" in response.url
    assert not _is_logged_in(client)


@pytest.mark.django_db
def test_a_staff_lockout_applies_to_the_login_the_admin_sends_to(client, staff_user):
    # given a staff address with the failed-login limit used up
    _fail_logins(client, staff_user.email, settings.LOGIN_ATTEMPTS_LIMIT)

    # when the staff member goes to /admin/login/ and follows it to the login with the right
    # password
    redirect = client.get("/admin/login/?next=/admin/")
    response = _login(client, staff_user.email, PASSWORD, url=redirect.url)

    # then it is refused
    assert LOCKED_OUT in _form_errors(response)
    assert not _is_logged_in(client)


@pytest.mark.redis
@pytest.mark.django_db
def test_the_lockout_works_with_the_redis_cache(client, user, settings):
    # given the cache on the real Redis (a prefix of its own, so nothing else is touched)
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": os.environ["REDIS_URL"],
            "KEY_PREFIX": f"lojal-test-lockout-{os.getpid()}-{time.monotonic_ns()}",
        }
    }

    # when the limit of failed logins is used up and the right password follows
    _fail_logins(client, user.email, settings.LOGIN_ATTEMPTS_LIMIT)
    response = _login(client, user.email, PASSWORD)

    # then the lockout held, kept in Redis
    assert LOCKED_OUT in _form_errors(response)
    assert not _is_logged_in(client)


# --- The admin and staff MFA -----------------------------------------------------------------


@pytest.mark.django_db
def test_staff_without_totp_are_sent_to_turn_it_on(client, staff_user):
    # given a logged-in staff member with no authenticator
    assert settings.STAFF_MFA_REQUIRED is True
    assert _login(client, staff_user.email, PASSWORD).status_code == 302

    # when they open the admin
    response = client.get("/admin/")

    # then they are sent to set up TOTP
    assert response.status_code == 302
    assert response.url == reverse("mfa_activate_totp")


@pytest.mark.django_db
def test_staff_with_totp_reach_the_admin_after_passing_mfa(client, monkeypatch):
    # given a staff member with a TOTP authenticator
    staff = StaffFactory()
    secret = generate_totp_secret()
    TOTP.activate(staff, secret)

    # when they log in with the password only
    response = _login(client, staff.email, PASSWORD)

    # then they are asked for the code and are not in yet
    assert response.status_code == 302
    assert response.url == reverse("mfa_authenticate")
    assert not _is_logged_in(client)
    assert client.get("/admin/").status_code == 302

    # when they give a wrong code, then the right one
    wrong = client.post(reverse("mfa_authenticate"), {"code": "000000"})
    right = client.post(reverse("mfa_authenticate"), {"code": _totp_code(secret, monkeypatch)})

    # then the wrong one is refused and the right one lets them into the admin
    assert wrong.status_code == 200
    assert right.status_code == 302
    assert _is_logged_in(client)
    index = client.get("/admin/")
    assert index.status_code == 200
    assert index.context["site_header"]


@pytest.mark.django_db
def test_a_member_gets_no_admin(client, user):
    # given a logged-in member (not staff)
    client.force_login(user)

    # when they open the admin and its login
    index = client.get("/admin/")
    login = client.get("/admin/login/?next=/admin/")

    # then the admin sends them to its login, which refuses them
    assert index.status_code == 302
    assert index.url.startswith("/admin/login/")
    assert login.status_code == 403


@pytest.mark.django_db
def test_an_anonymous_visitor_is_sent_to_the_login(client):
    # when an anonymous visitor opens the admin
    response = client.get("/admin/", follow=True)

    # then they end on allauth's login page
    assert response.redirect_chain[-1][0].startswith(reverse("account_login"))
    assert response.status_code == 200


# --- Staff roles -----------------------------------------------------------------------------

_roles_migration = importlib.import_module("members.migrations.0002_staff_roles")


@pytest.mark.django_db
def test_the_four_role_groups_exist_with_their_permissions():
    # given the migrated database
    # then each role is a group with at least the permissions its migration grants
    assert set(ROLES) == {"club admin", "marketer", "moderator", "store staff"}
    assert set(Group.objects.filter(name__in=ROLES).values_list("name", flat=True)) == set(ROLES)
    for role, granted in _roles_migration.GRANTS.items():
        group = Group.objects.get(name=role)
        perms = {
            f"{app_label}.{codename}"
            for app_label, codename in group.permissions.values_list(
                "content_type__app_label", "codename"
            )
        }
        assert set(granted) <= perms, role


@pytest.mark.django_db
def test_a_club_admin_may_view_the_audit_log_and_a_marketer_may_not():
    # given staff in two roles
    admin = StaffFactory()
    admin.groups.add(Group.objects.get(name="club admin"))
    marketer = StaffFactory()
    marketer.groups.add(Group.objects.get(name="marketer"))

    # then their permissions follow the role
    assert admin.has_perm("core.view_auditlogentry")
    assert admin.has_perm("members.change_user")
    assert not admin.has_perm("members.delete_user")
    assert not admin.has_perm("core.change_auditlogentry")
    assert marketer.has_perm("members.view_user")
    assert not marketer.has_perm("core.view_auditlogentry")
    assert not marketer.has_perm("members.change_user")
