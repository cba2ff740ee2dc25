"""Sending a campaign: what a worker does with the outbox.

`campaign_send(campaign_id=...)` claims batches of due messages (campaigns.services.outbox),
checks the sending rules for each (campaigns.services.rules), and hands the eligible ones over:

- e-mail over one connection of Django's e-mail backend per batch;
- SMS through campaigns.sms.

Per message, in autocommit (each UPDATE is its own commit): `claimed → sending` (conditional on
this worker still holding it), hand over, `sending → sent` as soon as the server accepted it. So a
worker killed at any moment leaves at most the one message it was handing over in `sending`,
which recovery marks in doubt; a task delivered twice, or two workers, never hand over the same
message (the claim is SKIP LOCKED and every state change is conditional).

Errors: a refusal with a 4xx code, or a server that cannot be reached before anything was handed
over, is transient: back to the queue with a growing pause, up to CAMPAIGNS_MAX_ATTEMPTS. A 5xx
refusal is permanent: failed, with the reason. A connection lost while handing over is neither:
the message may have left, so it is in doubt. When more than CAMPAIGNS_PAUSE_ERROR_RATE of the
handed-over messages failed (after CAMPAIGNS_PAUSE_MIN_MESSAGES), the campaign pauses itself.
"""

from __future__ import annotations

import contextlib
import datetime
import logging
import smtplib
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.mail.utils import DNS_NAME
from django.db import connection
from django.db.models import Count, Q
from django.utils import timezone

from campaigns import sms
from campaigns.models import Campaign, Message, Variant
from campaigns.services import links
from campaigns.services.content import (
    EmailSkeleton,
    email_personalise,
    email_skeleton,
    sms_render,
)
from campaigns.services.outbox import (
    messages_claim,
    messages_recover,
    messages_release,
    owner_hold,
    owner_new,
    owner_release,
)
from campaigns.services.rules import Recipient, quiet_until, recipients_for

logger = logging.getLogger(__name__)

SENT, FAILED, RETRY, SKIPPED, IN_DOUBT, LOST = (
    "sent",
    "failed",
    "retry",
    "skipped",
    "in_doubt",
    "lost",
)
FIRST_RETRY = datetime.timedelta(seconds=30)
LONGEST_RETRY = datetime.timedelta(minutes=30)


class _Transient(Exception):
    """The message was not handed over; try again later."""


class _Permanent(Exception):
    """The server refused the message for good."""


class _Unknown(Exception):
    """The connection broke while handing over: the message may have left."""


@dataclass
class SendResult:
    outcomes: Counter = field(default_factory=Counter)
    deferred_until: datetime.datetime | None = None
    paused: bool = False

    def as_dict(self) -> dict:
        return {
            **dict(self.outcomes),
            "deferred_until": self.deferred_until.isoformat() if self.deferred_until else None,
            "paused": self.paused,
        }


def retry_after(attempts: int) -> datetime.timedelta:
    return min(FIRST_RETRY * 2 ** max(attempts - 1, 0), LONGEST_RETRY)


# --- One message ---------------------------------------------------------------------------------


def _mark(message_id: int, *, owner: int, frm: str, to: str, **changes) -> bool:
    """Move one message from `frm` to `to` if this owner still holds it: the only way a state
    changes while sending."""
    return bool(
        Message.objects.filter(pk=message_id, state=frm, claimed_by=owner).update(
            state=to, **changes
        )
    )


class _EmailChannel:
    def __init__(self, campaign: Campaign) -> None:
        self.campaign = campaign
        self.skeletons: dict[tuple[int, str], EmailSkeleton] = {}
        self.connection: Any = None

    def open(self) -> None:
        connection = get_connection(fail_silently=False)
        try:
            connection.open()
        except (OSError, smtplib.SMTPException) as error:
            raise _Transient(str(error)) from error
        self.connection = connection

    def close(self) -> None:
        if self.connection is not None:
            with contextlib.suppress(OSError, smtplib.SMTPException):
                self.connection.close()
            self.connection = None

    def skeleton(self, variant: Variant, language: str) -> EmailSkeleton:
        key = (variant.pk, language)
        if key not in self.skeletons:
            self.skeletons[key] = email_skeleton(
                content=variant.content(language), language=language
            )
        return self.skeletons[key]

    def build(
        self, recipient: Recipient, variant: Variant, language: str
    ) -> EmailMultiAlternatives:
        message = recipient.message
        skeleton = self.skeleton(variant, language)
        unsubscribe = links.unsubscribe_url(
            member_id=recipient.member.pk, channel="email", message_id=message.pk
        )
        rendered = email_personalise(
            skeleton,
            context=recipient.context,
            click_urls=[
                links.click_url(message_id=message.pk, index=i) for i in range(len(skeleton.links))
            ],
            open_url=links.open_url(message_id=message.pk),
            unsubscribe_url=unsubscribe,
        )
        email = EmailMultiAlternatives(
            subject=rendered.subject,
            body=rendered.text,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[recipient.address],
            headers={
                "List-Unsubscribe": f"<{unsubscribe}>",
                "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
                "Message-ID": f"<lojal.{self.campaign.pk}.{message.pk}@{DNS_NAME}>",
            },
            connection=self.connection,
        )
        email.attach_alternative(rendered.html, "text/html")
        return email

    def send(self, recipient: Recipient, variant: Variant, language: str) -> str:
        email = self.build(recipient, variant, language)
        if self.connection is None:
            self.open()
        try:
            self.connection.send_messages([email])  # type: ignore[union-attr]
        except smtplib.SMTPRecipientsRefused as error:
            codes = [code for code, _msg in error.recipients.values()]
            if codes and all(400 <= code < 500 for code in codes):
                raise _Transient(str(error)) from error
            raise _Permanent(str(error)) from error
        except smtplib.SMTPResponseException as error:
            self.close()
            if 400 <= error.smtp_code < 500:
                raise _Transient(str(error)) from error
            raise _Permanent(str(error)) from error
        except (OSError, smtplib.SMTPException) as error:
            self.close()
            raise _Unknown(str(error)) from error
        return email.extra_headers.get("Message-ID", "")


class _SmsChannel:
    def __init__(self, campaign: Campaign) -> None:
        self.campaign = campaign
        self.backend = sms.get_sms_backend()

    def open(self) -> None:
        return None

    def close(self) -> None:
        return None

    def send(self, recipient: Recipient, variant: Variant | None, language: str) -> str:
        if recipient.message.body or variant is None:
            body = recipient.message.body  # a one-off transactional text, sent as written
        else:
            body = sms_render(
                content=variant.content(language), context=recipient.context, language=language
            )
        reference = f"lojal-{recipient.message.pk}"
        try:
            message = sms.SmsMessage(to=recipient.address, body=body, reference=reference)
        except ValueError as error:
            raise _Permanent(str(error)) from error
        try:
            sent = self.backend.send_messages([message])
        except sms.SmsError as error:
            # The provider's answer, classified by campaigns.sms: may have been sent (in doubt,
            # never resent), try again later, or failed for good. A configuration error fails
            # every message, and the error-rate rule then pauses the campaign.
            outcome = error.outcome
            if outcome == "in_doubt":
                raise _Unknown(str(error)) from error
            if outcome == "retry":
                raise _Transient(str(error)) from error
            raise _Permanent(str(error)) from error
        except (OSError, TimeoutError) as error:
            raise _Unknown(str(error)) from error
        if sent != 1:
            raise _Transient("The SMS backend did not accept the message.")
        return getattr(message, "provider_id", "") or reference


def _channel_for(campaign: Campaign):
    return (
        _EmailChannel(campaign)
        if campaign.channel == Campaign.Channel.EMAIL
        else _SmsChannel(campaign)
    )


def _skip_all(recipients: list[Recipient], *, owner: int) -> int:
    """Record every skip of a batch with its reason: one statement per reason."""
    by_reason: dict[str, list[int]] = {}
    for recipient in recipients:
        by_reason.setdefault(recipient.skip_reason, []).append(recipient.message.pk)
    done = 0
    for reason, ids in by_reason.items():
        done += Message.objects.filter(
            pk__in=ids, state=Message.State.CLAIMED, claimed_by=owner
        ).update(state=Message.State.SKIPPED, skip_reason=reason, claimed_by=None)
    return done


_TABLE = connection.ops.quote_name(Message._meta.db_table)
# One statement, so one commit, per message: the message just accepted becomes sent and the next
# one becomes sending. So a worker holds at most one message in `sending` at any moment: the one
# it is handing over (or the one just accepted, if it dies before this commit).
_ADVANCE = (
    f"UPDATE {_TABLE} SET "  # noqa: S608 - the table name from _meta, values bound
    "state = CASE WHEN id = %s THEN 'sent' ELSE 'sending' END, "
    "sent_at = CASE WHEN id = %s THEN %s ELSE sent_at END, "
    "provider_id = CASE WHEN id = %s THEN %s ELSE provider_id END, "
    "error = CASE WHEN id = %s THEN '' ELSE error END, "
    "attempts = CASE WHEN id = %s THEN attempts ELSE attempts + 1 END, "
    "address = CASE WHEN id = %s THEN address ELSE %s END, "
    "language = CASE WHEN id = %s THEN language ELSE %s END "
    "WHERE claimed_by = %s "
    "AND ((id = %s AND state = 'sending') OR (id = %s AND state = 'claimed')) "
    "RETURNING id"
)


class _Pipeline:
    """What one worker has in hand: the message accepted by the server but not yet recorded as
    sent, recorded together with the next message's hand-over."""

    def __init__(self, owner: int) -> None:
        self.owner = owner
        self.accepted: tuple[int, str, datetime.datetime] | None = None

    def advance(self, recipient: Recipient | None, language: str = "") -> bool:
        """Record the accepted message as sent and mark `recipient` as sending; False when
        `recipient` is no longer this worker's to send."""
        done_id, provider_id, sent_at = self.accepted or (0, "", timezone.now())
        next_id = recipient.message.pk if recipient is not None else 0
        if not done_id and not next_id:
            return False
        address = recipient.address[:254] if recipient is not None else ""
        with connection.cursor() as cursor:
            cursor.execute(
                _ADVANCE,
                [
                    done_id,
                    done_id,
                    sent_at,
                    done_id,
                    provider_id[:120],
                    done_id,
                    done_id,
                    done_id,
                    address,
                    done_id,
                    language,
                    self.owner,
                    done_id,
                    next_id,
                ],
            )
            updated = {row[0] for row in cursor.fetchall()}
        self.accepted = None
        return next_id in updated

    def flush(self) -> None:
        if self.accepted is not None:
            self.advance(None)


def _hand_over(
    channel,
    recipient: Recipient,
    *,
    pipeline: _Pipeline,
    variants: dict[int | None, Variant],
) -> str:
    message = recipient.message
    owner = pipeline.owner
    language = recipient.member.language or settings.LANGUAGE_CODE
    if not pipeline.advance(recipient, language):
        return LOST
    attempts = message.attempts + 1
    try:
        provider_id = channel.send(recipient, variants.get(message.variant_id), language)
    except _Transient as error:
        if attempts >= settings.CAMPAIGNS_MAX_ATTEMPTS:
            _mark(
                message.pk,
                owner=owner,
                frm=Message.State.SENDING,
                to=Message.State.FAILED,
                error=str(error)[:300],
            )
            return FAILED
        _mark(
            message.pk,
            owner=owner,
            frm=Message.State.SENDING,
            to=Message.State.QUEUED,
            claimed_by=None,
            error=str(error)[:300],
            next_attempt_at=timezone.now() + retry_after(attempts),
        )
        return RETRY
    except _Permanent as error:
        _mark(
            message.pk,
            owner=owner,
            frm=Message.State.SENDING,
            to=Message.State.FAILED,
            error=str(error)[:300],
        )
        return FAILED
    except _Unknown as error:
        _mark(
            message.pk,
            owner=owner,
            frm=Message.State.SENDING,
            to=Message.State.IN_DOUBT,
            error=str(error)[:300],
        )
        return IN_DOUBT
    pipeline.accepted = (message.pk, provider_id or "", timezone.now())
    return SENT


# --- A run ---------------------------------------------------------------------------------------


def _error_rate_exceeded(campaign_id: int) -> bool:
    counts = Message.objects.filter(campaign_id=campaign_id).aggregate(
        sent=Count("pk", filter=Q(state=Message.State.SENT)),
        failed=Count("pk", filter=Q(state=Message.State.FAILED)),
    )
    handed = counts["sent"] + counts["failed"]
    return (
        handed >= settings.CAMPAIGNS_PAUSE_MIN_MESSAGES
        and counts["failed"] / handed > settings.CAMPAIGNS_PAUSE_ERROR_RATE
    )


def campaign_finish_if_done(*, campaign_id: int, now: datetime.datetime | None = None) -> bool:
    """Mark a sending campaign sent once no message is queued or in a worker's hands."""
    busy = Message.objects.filter(
        campaign_id=campaign_id,
        state__in=[
            Message.State.HELD,
            Message.State.QUEUED,
            Message.State.CLAIMED,
            Message.State.SENDING,
        ],
    ).exists()
    if busy:
        return False
    return bool(
        Campaign.objects.filter(
            pk=campaign_id, state=Campaign.State.SENDING, trigger="", key=""
        ).update(state=Campaign.State.SENT, finished_at=now or timezone.now())
    )


def campaign_send(
    *, campaign_id: int, now: datetime.datetime | None = None, max_batches: int | None = None
) -> SendResult:
    """Send the campaign's due messages until none is left (or the campaign stops sending).
    Safe to run in several workers at once and to run twice."""
    result = SendResult()
    owner = owner_new()
    owner_hold(owner)
    try:
        messages_recover(exclude_owner=owner)
        batches = 0
        while max_batches is None or batches < max_batches:
            campaign = Campaign.objects.filter(pk=campaign_id).first()
            if campaign is None or campaign.state != Campaign.State.SENDING:
                break
            moment = now or timezone.now()
            if campaign.channel == Campaign.Channel.SMS and (
                campaign.purpose == Campaign.Purpose.MARKETING
            ):
                result.deferred_until = quiet_until(moment)
                if result.deferred_until is not None:
                    break
            ids = messages_claim(
                campaign_id=campaign.pk,
                owner=owner,
                batch=settings.CAMPAIGNS_SEND_BATCH,
                now=moment,
            )
            if not ids:
                break
            batches += 1
            _send_batch(campaign, ids, owner=owner, now=moment, result=result)
            if _error_rate_exceeded(campaign.pk):
                result.paused = bool(
                    Campaign.objects.filter(pk=campaign.pk, state=Campaign.State.SENDING).update(
                        state=Campaign.State.PAUSED,
                        state_note=str(PAUSED_NOTE),
                    )
                )
                break
        campaign_finish_if_done(campaign_id=campaign_id, now=now)
    finally:
        messages_release(owner=owner)
        owner_release(owner)
        # A campaign cancelled while this run held messages: what it gave back is skipped too.
        Message.objects.filter(
            campaign_id=campaign_id,
            state=Message.State.QUEUED,
            campaign__state=Campaign.State.CANCELLED,
        ).update(state=Message.State.SKIPPED, skip_reason=Message.SkipReason.CANCELLED)
    return result


PAUSED_NOTE = "Paused by itself: too many messages failed. Check the errors, then resume."


def _send_batch(
    campaign: Campaign, ids: list[int], *, owner: int, now: datetime.datetime, result: SendResult
) -> None:
    variants: dict[int | None, Variant] = {v.pk: v for v in campaign.variants.all()}
    recipients = recipients_for(ids=ids, campaign=campaign, now=now)
    skipped = [r for r in recipients if r.skip_reason]
    eligible = [r for r in recipients if not r.skip_reason]
    result.outcomes[SKIPPED] += _skip_all(skipped, owner=owner)
    if not eligible:
        return
    channel = _channel_for(campaign)
    pipeline = _Pipeline(owner)
    try:
        try:
            channel.open()
        except _Transient as error:
            # Nothing was handed over: the whole batch waits and is tried again.
            logger.warning("Cannot reach the server: %s", error)
            messages_release(owner=owner, ids=ids, next_attempt_at=timezone.now() + retry_after(1))
            result.outcomes[RETRY] += len(eligible)
            return
        for recipient in eligible:
            result.outcomes[
                _hand_over(channel, recipient, pipeline=pipeline, variants=variants)
            ] += 1
    finally:
        pipeline.flush()
        channel.close()
