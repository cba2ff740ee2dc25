"""E-mail a club would send: every message as HTML in one branded layout (the club's name, logo
and colour) plus a plain-text part, in the recipient's language.

    from core.branded_email import render_branded_email
    from core.email import email_send_later

    message = render_branded_email(
        "events/email/invitation",          # the templates' common prefix
        {"event": event, "member": member},  # their context
        member.language,                     # "sv" or "en": subject and bodies in it
        to=[member.email],
    )
    email_send_later(message)                # in the transaction that caused it

Templates, for a prefix P:
- `P_subject.txt` — one line (line breaks are joined), required unless `subject=` is given;
- `P_message.txt` — the plain-text part, required;
- `P_message.html` — optional: the HTML body's content, normally
  `{% extends "email/base.html" %}{% block content %}…{% endblock %}`. Without it the plain text
  is laid out in the branded HTML (paragraphs, links made clickable).

Every template gets CLUB_NAME, CLUB_LOGO_URL (absolute, from SITE_URL; empty when unknown, and
the layout then shows the name alone), CLUB_COLOR, PORTAL_URL and `preheader` (set it in the
context for the inbox preview line). The result is an EmailMultiAlternatives for
core.email.email_send_later; campaigns, events, forums and feedback build their mail with it, and
allauth's mail goes through it too (members.adapters).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template import TemplateDoesNotExist
from django.template.loader import render_to_string
from django.templatetags.static import static
from django.utils import translation
from django.utils.html import linebreaks, urlize
from django.utils.safestring import mark_safe

LAYOUT = "email/base.html"


def _absolute(url: str) -> str:
    if not url or url.startswith(("http://", "https://")):
        return url
    base = settings.SITE_URL.rstrip("/")
    return f"{base}{url}" if base else ""


def email_brand_context() -> dict[str, Any]:
    logo = settings.CLUB_LOGO
    if not logo.startswith(("http://", "https://", "/")):
        logo = static(logo)
    return {
        "CLUB_NAME": settings.CLUB_NAME,
        "CLUB_LOGO_URL": _absolute(logo),
        "CLUB_COLOR": settings.CLUB_COLOR,
        "PORTAL_URL": settings.SITE_URL.rstrip("/"),
    }


def render_branded_email(
    template_base: str,
    context: dict[str, Any],
    language: str | None,
    *,
    to: list[str],
    subject: str | None = None,
    from_email: str | None = None,
    headers: dict[str, str] | None = None,
) -> EmailMultiAlternatives:
    """The message built from the templates under `template_base`, in `language` (the site's
    default when empty or unknown), with a plain-text part and the branded HTML part."""
    if language not in dict(settings.LANGUAGES):
        language = settings.LANGUAGE_CODE
    full = email_brand_context() | dict(context)
    with translation.override(language):
        if subject is None:
            subject = render_to_string(f"{template_base}_subject.txt", full)
        subject = " ".join(str(subject).split())
        text = render_to_string(f"{template_base}_message.txt", full).strip() + "\n"
        try:
            html = render_to_string(f"{template_base}_message.html", full)
        except TemplateDoesNotExist:
            # urlize escapes the text and links its URLs; the paragraphs are then safe HTML.
            body_html = mark_safe(  # noqa: S308 - built from escaped text
                linebreaks(urlize(text, autoescape=True), autoescape=False)
            )
            html = render_to_string(LAYOUT, full | {"body_html": body_html, "subject": subject})
    message = EmailMultiAlternatives(
        subject=subject,
        body=text,
        from_email=from_email or settings.DEFAULT_FROM_EMAIL,
        to=to,
        headers=headers or {},
    )
    message.attach_alternative(html, "text/html")
    return message
