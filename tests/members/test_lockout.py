"""Lock-out without denial of service: failed logins lock an (account, address) pair, an address
across accounts, and, more slowly, an account across addresses, except where it logged in before."""

from __future__ import annotations

import pytest
from django.conf import settings

from core.models import AuditLogEntry
from tests.members.factories import PASSWORD, StaffFactory, UserFactory

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"
LOCKED_OUT = "Too many failed login attempts"
ATTACKER = "203.0.113.66"
HOME = "198.51.100.7"


def _login(client, email: str, password: str, address: str):
    return client.post(LOGIN, {"login": email, "password": password}, REMOTE_ADDR=address)


def _errors(response) -> str:
    if response.context is None or "form" not in response.context:
        return ""
    return " ".join(str(e) for e in response.context["form"].errors.values())


def _is_logged_in(client) -> bool:
    return "_auth_user_id" in client.session


def test_wrong_passwords_from_one_address_do_not_lock_the_member_out_elsewhere(client):
    # given an attacker who used up the failed-login limit for a member's address
    member = UserFactory()
    for _ in range(settings.LOGIN_ATTEMPTS_LIMIT):
        _login(client, member.email, "wrong password", ATTACKER)
    assert LOCKED_OUT in _errors(_login(client, member.email, PASSWORD, ATTACKER))

    # when the member logs in from their own address
    response = _login(client, member.email, PASSWORD, HOME)

    # then they are in
    assert response.status_code == 302
    assert _is_logged_in(client)


def test_the_admin_account_is_not_locked_for_its_owner_by_an_attacker(client, settings):
    settings.STAFF_MFA_REQUIRED = False
    admin = StaffFactory(is_superuser=True)
    for _ in range(settings.LOGIN_ATTEMPTS_LIMIT * 2):
        _login(client, admin.email, "wrong password", ATTACKER)

    response = _login(client, admin.email, PASSWORD, HOME)

    assert response.status_code == 302
    assert _is_logged_in(client)


def test_one_address_trying_many_accounts_is_locked_across_them(client, settings):
    # given an address that failed on as many different accounts as the per-address limit allows
    settings.LOGIN_ADDRESS_ATTEMPTS_LIMIT = 6  # read by allauth through ACCOUNT_RATE_LIMITS
    settings.ACCOUNT_RATE_LIMITS = {
        **settings.ACCOUNT_RATE_LIMITS,
        "login_failed": f"{settings.LOGIN_ATTEMPTS_LIMIT}/5m/key,6/5m/ip",
    }
    victims = UserFactory.create_batch(3)
    for victim in victims:
        for _ in range(2):
            _login(client, victim.email, "wrong password", ATTACKER)

    # when it tries yet another account, with the right password
    fresh = UserFactory()
    response = _login(client, fresh.email, PASSWORD, ATTACKER)

    # then it is refused, while the same account from elsewhere is not
    assert LOCKED_OUT in _errors(response)
    assert not _is_logged_in(client)
    assert _login(client, fresh.email, PASSWORD, HOME).status_code == 302


def _spread_failures(client, email: str, count: int) -> None:
    """`count` failed logins, each from a different address (none hits the per-pair limit)."""
    for n in range(count):
        _login(client, email, "wrong password", f"192.0.2.{n + 1}")


def test_guessing_spread_over_many_addresses_hits_the_slower_account_limit(client, settings):
    # given an account guessed at from as many addresses as the per-account limit allows
    settings.ACCOUNT_RATE_LIMITS = {
        **settings.ACCOUNT_RATE_LIMITS,
        "login_failed_account": "8/1h/key",
    }
    member = UserFactory()
    _spread_failures(client, member.email, 8)

    # when the right password comes from a new address
    response = _login(client, member.email, PASSWORD, "192.0.2.200")

    # then it is refused: the account limit holds across addresses
    assert LOCKED_OUT in _errors(response)
    assert not _is_logged_in(client)


def test_the_account_limit_does_not_apply_where_the_member_logged_in_before(client, settings):
    # given a member who logged in from home, then a distributed guessing attack on the account
    settings.ACCOUNT_RATE_LIMITS = {
        **settings.ACCOUNT_RATE_LIMITS,
        "login_failed_account": "8/1h/key",
    }
    member = UserFactory()
    assert _login(client, member.email, PASSWORD, HOME).status_code == 302
    client.logout()
    _spread_failures(client, member.email, 12)
    assert LOCKED_OUT in _errors(_login(client, member.email, PASSWORD, "192.0.2.201"))

    # when the member logs in from home
    response = _login(client, member.email, PASSWORD, HOME)

    # then they are in
    assert response.status_code == 302
    assert _is_logged_in(client)


def test_a_staff_lockout_is_audited_once_per_window(client):
    # given a staff login whose limit is used up from one address
    staff = StaffFactory()
    for _ in range(settings.LOGIN_ATTEMPTS_LIMIT):
        _login(client, staff.email, "wrong password", ATTACKER)

    # when more attempts are refused
    for _ in range(3):
        assert LOCKED_OUT in _errors(_login(client, staff.email, PASSWORD, ATTACKER))

    # then one audit entry names the account, the scope and the address
    entry = AuditLogEntry.objects.get(action="account.lockout")
    assert entry.target_id == str(staff.pk)
    assert entry.details == {"scope": "address", "address": ATTACKER}
    assert str(entry.ip_address) == ATTACKER


def test_a_member_lockout_is_not_audited(client):
    member = UserFactory()
    for _ in range(settings.LOGIN_ATTEMPTS_LIMIT + 1):
        _login(client, member.email, "wrong password", ATTACKER)

    assert not AuditLogEntry.objects.filter(action="account.lockout").exists()


def test_x_forwarded_for_does_not_buy_a_fresh_budget_without_trusted_proxies(client):
    # given no trusted proxies (the default) and a used-up limit at one address
    member = UserFactory()
    for n in range(settings.LOGIN_ATTEMPTS_LIMIT):
        client.post(
            LOGIN,
            {"login": member.email, "password": "wrong"},
            REMOTE_ADDR=ATTACKER,
            HTTP_X_FORWARDED_FOR=f"10.9.9.{n}",
        )

    # when the attacker claims yet another address in the header
    response = client.post(
        LOGIN,
        {"login": member.email, "password": PASSWORD},
        REMOTE_ADDR=ATTACKER,
        HTTP_X_FORWARDED_FOR="10.9.9.99",
    )

    # then the connection's address is what counts, and it is locked
    assert LOCKED_OUT in _errors(response)


def test_a_staff_account_lockout_across_addresses_is_audited(client, settings):
    settings.ACCOUNT_RATE_LIMITS = {
        **settings.ACCOUNT_RATE_LIMITS,
        "login_failed_account": "3/1h/key",
    }
    staff = StaffFactory()
    _spread_failures(client, staff.email, 3)

    response = _login(client, staff.email, PASSWORD, "192.0.2.250")

    assert LOCKED_OUT in _errors(response)
    entry = AuditLogEntry.objects.get(action="account.lockout")
    assert entry.details == {"scope": "account", "address": "192.0.2.250"}
