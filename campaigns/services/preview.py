"""Staff see a message as any member would get it, and send a test of it to themselves. Neither
writes to the outbox: a preview is rendered on the spot; a test goes straight to the staff
member's own address with "[Test]" before the subject, never to a member."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from campaigns import sms
from campaigns.models import Campaign, Variant
from campaigns.services.content import email_personalise, email_skeleton, sms_render
from campaigns.services.rules import merge_context_for
from members.models import Member


@dataclass(frozen=True)
class Preview:
    channel: str
    language: str
    subject: str = ""
    html: str = ""
    text: str = ""


def _sample_context(first_name: str) -> dict:
    return {
        "first_name": first_name,
        "points_balance": 1250,
        "tier": "Guld",
        "points_expiring": 200,
        "points_expiring_on": "31 december",
        "reward_suggestion": "Kaffe och bulle",
        "store": "Butiken",
    }


def message_preview(
    *, campaign: Campaign, variant: Variant, member: Member | None, language: str | None = None
) -> Preview:
    """The message `member` would get (their language and merge fields), or a sample member's.
    Links lead straight to their targets; nothing is tracked."""
    if member is not None:
        context = merge_context_for(member=member, now=timezone.now())
        language = language or member.language or settings.LANGUAGE_CODE
    else:
        context = _sample_context(str(_("Kim")))
        language = language or settings.LANGUAGE_CODE
    content = variant.content(language)
    if campaign.channel == Campaign.Channel.SMS:
        return Preview(
            channel="sms",
            language=language,
            text=sms_render(content=content, context=context, language=language),
        )
    skeleton = email_skeleton(content=content, language=language)
    rendered = email_personalise(
        skeleton,
        context=context,
        click_urls=list(skeleton.links),
        open_url="data:image/gif;base64,R0lGODlhAQABAAAAACw=",
        unsubscribe_url="#",
    )
    return Preview(
        channel="email",
        language=language,
        subject=rendered.subject,
        html=rendered.html,
        text=rendered.text,
    )


def campaign_send_test(
    *, campaign: Campaign, variant: Variant, actor, language: str | None = None
) -> str:
    """Send the variant to the staff member's own e-mail (or phone, for SMS, when they are a
    member with one); returns the address used."""
    member = Member.objects.filter(user=actor).first()
    preview = message_preview(campaign=campaign, variant=variant, member=member, language=language)
    if campaign.channel == Campaign.Channel.SMS:
        if member is None or not member.phone:
            raise ValidationError(
                _("A test SMS goes to your own mobile number, and your account has none."),
                code="no_phone",
            )
        sms.send_sms(to=member.phone, body=f"[Test] {preview.text}")
        return member.phone
    if not actor.email:
        raise ValidationError(_("Your account has no e-mail address."), code="no_email")
    email = EmailMultiAlternatives(
        subject=f"[Test] {preview.subject}",
        body=preview.text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[actor.email],
    )
    email.attach_alternative(preview.html, "text/html")
    email.send()
    return actor.email
