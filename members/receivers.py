"""allauth's sign-up and e-mail confirmation give the new login its member profile."""

from __future__ import annotations

import logging

from allauth.account.signals import email_confirmed, user_signed_up
from django.dispatch import receiver

from members.adapters import REFERRAL_SESSION_KEY
from members.forms import SIGNUP_CONSENTS_SESSION_KEY
from members.services.consent import member_signup_consents_give
from members.services.profiles import MemberLinkNeedsVerification, member_link_or_create_for_user

logger = logging.getLogger(__name__)


@receiver(user_signed_up, dispatch_uid="members.member_on_signup")
def member_on_signup(sender, request, user, **kwargs) -> None:
    session = getattr(request, "session", None)
    consents = session.pop(SIGNUP_CONSENTS_SESSION_KEY, []) if session is not None else []
    try:
        referral = session.pop(REFERRAL_SESSION_KEY, None) if session is not None else None
        member = member_link_or_create_for_user(user=user, referral_number=referral)
        member_signup_consents_give(member=member, user=user, request=request, purposes=consents)
    except MemberLinkNeedsVerification:
        # A member with this e-mail exists (joined in store, imported): they are linked when the
        # address is confirmed, so nobody gets someone else's profile by typing their e-mail.
        logger.info("Member link for user %s waits for e-mail confirmation.", user.pk)


@receiver(email_confirmed, dispatch_uid="members.member_on_email_confirmed")
def member_on_email_confirmed(sender, request, email_address, **kwargs) -> None:
    try:
        member_link_or_create_for_user(user=email_address.user)
    except MemberLinkNeedsVerification:
        # A secondary address was confirmed while the login's own address is still unproven.
        logger.info("Member link for user %s waits for e-mail confirmation.", email_address.user_id)
