"""Every e-mail in the club's branded layout with a plain-text part, in the member's language
(core.branded_email), allauth's included: no more "Hello from !"."""

import pytest
from django.core import mail

from core.branded_email import render_branded_email
from tests.members.factories import PASSWORD

pytestmark = pytest.mark.django_db


def test_a_text_only_template_gets_the_branded_html_and_keeps_its_text(settings):
    settings.CLUB_NAME = "Friluftsklubben"
    settings.CLUB_COLOR = "#123456"
    settings.SITE_URL = "https://klubb.example.se"

    message = render_branded_email(
        "account/email/password_changed",
        {"user": None, "ip": "127.0.0.1", "user_agent": "test", "timestamp": "nu"},
        "sv",
        to=["a@example.se"],
    )

    html = message.alternatives[0][0]
    assert message.alternatives[0][1] == "text/html"
    assert "Friluftsklubben" in html and "#123456" in html
    assert "https://klubb.example.se/static/img/logo.svg" in html
    assert "Hälsningar\nFriluftsklubben" in message.body
    assert '<html lang="sv">' in html and "Du får det här mejlet som medlem" in html
    assert "<p>" in html and "&lt;p&gt;" not in html


def test_an_unknown_language_falls_back_to_the_sites(settings):
    settings.LANGUAGE_CODE = "sv"
    message = render_branded_email(
        "rewards/email/redemption",
        {"member": None, "reward": {"name": "Kaffe"}, "redemption": None, "delivery": None},
        "xx",
        to=["a@example.se"],
    )
    assert message.subject == "Din belöning: Kaffe"


def test_allauths_verification_mail_is_branded_and_signed_by_the_club(
    client, settings, django_capture_on_commit_callbacks
):
    settings.CLUB_NAME = "Friluftsklubben"
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            "/accounts/signup/",
            {
                "email": "ny@example.se",
                "password1": PASSWORD,
                "password2": PASSWORD,
                "accept_terms": "on",
            },
        )
    message = mail.outbox[-1]
    assert "Hello from !" not in message.body and "Hej från !" not in message.body
    assert "Friluftsklubben" in message.body
    html = message.alternatives[0][0]
    assert "Friluftsklubben" in html and "/confirm-email/" in html
    assert '<a href="http' in html and "&lt;" not in html
