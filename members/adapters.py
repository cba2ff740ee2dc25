from types import SimpleNamespace
from urllib.parse import urlsplit

from allauth.account.adapter import DefaultAccountAdapter
from django.conf import settings
from django.utils import translation

from core.branded_email import render_branded_email
from core.email import email_send_later

from .models import Member, normalize_email

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

    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        email_send_later(self.render_mail(template_prefix, email, context))

    def render_mail(self, template_prefix, email, context, headers=None):
        """allauth's mail in the club's branded layout (core.branded_email), in the language of
        the login it concerns (else the page's), signed with the club's name: allauth's
        `current_site` becomes the club, so no mail says "Hello from !"."""
        user = context.get("user")
        language = getattr(user, "language", "") or translation.get_language()
        site = context.get("current_site")
        domain = urlsplit(settings.PORTAL_URL).netloc or getattr(site, "domain", "")
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
