from types import SimpleNamespace
from urllib.parse import urlsplit

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core.internal import ratelimit
from django.conf import settings
from django.contrib.sites.shortcuts import get_current_site
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.utils import translation

from core.branded_email import render_branded_email
from core.email import email_send_later
from core.net import client_address
from core.services import audit_log

from .models import Member, User, normalize_email

# The referral code (the referrer's membership number) from the sign-up link ?ref=…, kept in
# the session from the sign-up page to the sign-up signal (members.receivers).
REFERRAL_SESSION_KEY = "members_referral"


class AccountAdapter(DefaultAccountAdapter):
    """allauth, the club's way: normalised e-mail, mail through the worker, language remembered."""

    def is_open_for_signup(self, request) -> bool:
        # allauth asks this on every request to the sign-up page, GET and POST: the place to
        # remember the referral code of a link such as /accounts/signup/?ref=12345678.
        ref = request.GET.get("ref", "").strip()
        if ref and len(ref) <= 20 and hasattr(request, "session"):
            request.session[REFERRAL_SESSION_KEY] = ref
        # "Invited by …" on the sign-up page: the referrer's first name only (never more).
        ref = ref or (
            request.session.get(REFERRAL_SESSION_KEY, "") if hasattr(request, "session") else ""
        )
        if ref:
            referrer = (
                Member.objects.filter(number=ref, status=Member.Status.ACTIVE)
                .values_list("first_name", flat=True)
                .first()
            )
            request.members_invited_by = referrer
        return super().is_open_for_signup(request)

    def clean_email(self, email: str) -> str:
        return super().clean_email(normalize_email(email))

    def authenticate(self, request, **credentials):
        # Normalise before allauth keys its failed-login rate limit on the address: otherwise
        # each spelling that reaches the same account ("ſ" for "s", full-width letters) would
        # get a lockout budget of its own.
        if credentials.get("email"):
            credentials["email"] = normalize_email(credentials["email"])
        return super().authenticate(request, **credentials)

    # --- Lock-out -----------------------------------------------------------------------------
    # Failed logins are counted per (account, client address) and per address across accounts
    # (ACCOUNT_RATE_LIMITS["login_failed"]), so wrong passwords from one place lock out that place,
    # not the member. A slower per-account limit ("login_failed_account") stops guessing spread
    # over many addresses; it is neither counted nor applied at an address the account has
    # logged in from (remembered LOGIN_KNOWN_ADDRESS_DAYS), so an attacker cannot lock a real
    # member out of the place they use. Staff lock-outs are written to the audit log.

    def get_client_ip(self, request) -> str:
        address = client_address(request)
        if not address:
            raise PermissionDenied("Unable to determine the client's address")
        return address

    def _login_account(self, request, credentials) -> str:
        site = get_current_site(request)
        return f"{site.domain}:{normalize_email(credentials.get('email', ''))}"

    def _known_address_key(self, account: str, address: str) -> str:
        return f"lojal:login-known:{account}|{address}"

    def pre_authenticate(self, request, **credentials) -> None:
        account = self._login_account(request, credentials)
        address = self.get_client_ip(request)
        usage = ratelimit.consume(
            request, app="allauth.account", action="login_failed", key=f"{account}|{address}"
        )
        scope = "address"
        if usage is not None and not cache.get(self._known_address_key(account, address)):
            account_usage = ratelimit.consume(
                request, app="allauth.account", action="login_failed_account", key=account
            )
            if account_usage is None:
                usage.rollback()
                usage, scope = None, "account"
            else:
                usage.usage.extend(account_usage.usage)
        # allauth rolls this back when the password is right: only failures count.
        self._login_failed_rl_usage = usage
        if usage is None:
            self._lockout_audit(request, credentials, scope=scope, address=address)
            raise self.validation_error("too_many_login_attempts")

    def _delete_login_attempts_cached_email(self, request, **credentials) -> None:
        # After a password reset: the resetting address and the account start afresh.
        account = self._login_account(request, credentials)
        address = self.get_client_ip(request)
        for action, key in (
            ("login_failed", f"{account}|{address}"),
            ("login_failed_account", account),
        ):
            ratelimit.clear(request, app="allauth.account", action=action, key=key)

    def _lockout_audit(self, request, credentials, *, scope: str, address: str) -> None:
        """Audit a refused staff login, once per account, scope and address and window."""
        email = normalize_email(credentials.get("email", ""))
        staff = User.objects.filter(email=email, is_staff=True).first()
        if staff is None:
            return
        window = ratelimit.parse_duration(settings.LOGIN_ATTEMPTS_WINDOW)
        if not cache.add(f"lojal:lockout-audited:{staff.pk}|{scope}|{address}", 1, int(window)):
            return
        audit_log(
            action="account.lockout",
            actor=staff,
            target=staff,
            request=request,
            details={"scope": scope, "address": address},
        )

    def login(self, request, user) -> None:
        super().login(request, user)
        email = getattr(user, "email", "")
        address = client_address(request)
        if email and address:
            account = self._login_account(request, {"email": email})
            cache.set(
                self._known_address_key(account, address),
                1,
                settings.LOGIN_KNOWN_ADDRESS_DAYS * 24 * 3600,
            )

    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        email_send_later(self.render_mail(template_prefix, email, context))

    def render_mail(self, template_prefix, email, context, headers=None):
        """allauth's mail in the club's branded layout (core.branded_email), in the language of
        the login it concerns (else the page's), signed with the club's name: allauth's
        `current_site` becomes the club, so no mail says "Hello from !"."""
        user = context.get("user")
        language = getattr(user, "language", "") or translation.get_language()
        site = context.get("current_site")
        domain = urlsplit(settings.SITE_URL).netloc or getattr(site, "domain", "")
        context = {
            **context,
            "current_site": SimpleNamespace(name=settings.CLUB_NAME, domain=domain),
        }
        with translation.override(language):
            message = render_branded_email(
                template_prefix,
                context,
                language,
                to=[email] if isinstance(email, str) else list(email),
                from_email=self.get_from_email(),
                headers=headers,
            )
            message.subject = self.format_email_subject(message.subject)
        return message

    def save_user(self, request, user, form, commit=True):
        user.language = translation.get_language() or settings.LANGUAGE_CODE
        if user.language not in dict(settings.LANGUAGES):
            user.language = settings.LANGUAGE_CODE
        return super().save_user(request, user, form, commit=commit)

    def post_login(self, request, user, **kwargs):
        response = super().post_login(request, user, **kwargs)
        if user.language in dict(settings.LANGUAGES):
            translation.activate(user.language)
            response.set_cookie(
                settings.LANGUAGE_COOKIE_NAME,
                user.language,
                max_age=365 * 24 * 3600,
                secure=settings.LANGUAGE_COOKIE_SECURE,
                httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
                samesite=settings.LANGUAGE_COOKIE_SAMESITE,
            )
        return response
