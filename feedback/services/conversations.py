"""Conversations between a member and the club: the one write path.

- `conversation_start` (by a member, or by staff to a member) opens a thread with its first
  message; an attachment must be an image (JPEG, PNG, WebP, GIF) or a PDF by its content, not
  only by its name, and no larger than FEEDBACK_ATTACHMENT_MAX_BYTES.
- `conversation_reply` adds a message: from staff it sets the first-response time, marks the
  thread answered and e-mails the member that there is an answer (the text stays in the portal);
  from the member it reopens the thread for staff. A closed thread takes no replies.
- `conversation_close`, `conversation_assign`: audited.
"""

from __future__ import annotations

import os
import unicodedata

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.mail import EmailMessage
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.email import email_send_later
from core.services import audit_log
from feedback.models import Conversation, ConversationMessage
from feedback.services.errors import field_error
from members.models import Member

MESSAGE_MAX = 10_000
SIGNATURES = {
    "image/jpeg": [b"\xff\xd8\xff"],
    "image/png": [b"\x89PNG\r\n\x1a\n"],
    "image/gif": [b"GIF87a", b"GIF89a"],
    "application/pdf": [b"%PDF-"],
}
EXTENSIONS = {
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".pdf": "application/pdf",
}


def _sniff(head: bytes) -> str | None:
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    for kind, prefixes in SIGNATURES.items():
        if any(head.startswith(p) for p in prefixes):
            return kind
    return None


def attachment_check(upload: UploadedFile) -> str:
    """The upload's content type if it is an allowed image or PDF whose content matches its
    name and size limit; ValidationError (field "attachment") otherwise."""
    limit = settings.FEEDBACK_ATTACHMENT_MAX_BYTES
    name = os.path.basename(upload.name or "")
    expected = EXTENSIONS.get(os.path.splitext(name)[1].lower())
    if expected is None:
        raise field_error(
            "attachment", _("Attach a picture (JPEG, PNG, WebP, GIF) or a PDF."), "type"
        )
    if upload.size is None or upload.size > limit:
        raise field_error(
            "attachment",
            _("The file is too big: at most %(mb).0f MB.") % {"mb": limit / 1_048_576},
            "size",
        )
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    if _sniff(head) != expected:
        raise field_error(
            "attachment",
            _("The file is not what its name says (%(name)s).") % {"name": name},
            "content",
        )
    return expected


def _clean_subject(subject: str) -> str:
    subject = (subject or "").strip()
    if not subject or not any(c.isalnum() for c in subject):
        raise field_error("subject", _("Write a subject."), "required")
    if any(unicodedata.category(c) in ("Cc", "Cf") for c in subject):
        raise field_error(
            "subject", _("The subject contains invisible or control characters."), "invalid"
        )
    return subject[:140]


def _clean_body(body: str) -> str:
    body = (body or "").replace("\x00", "").strip()
    if not body:
        raise field_error("body", _("Write a message."), "required")
    if len(body) > MESSAGE_MAX:
        raise field_error(
            "body",
            _("Keep the message under %(max)d characters (it has %(count)d).")
            % {"max": MESSAGE_MAX, "count": len(body)},
            "too_long",
        )
    return body


def _message(conversation, *, body, author, from_staff, attachment) -> ConversationMessage:
    message = ConversationMessage(
        conversation=conversation, body=body, author=author, from_staff=from_staff
    )
    if attachment is not None:
        attachment_check(attachment)
        message.attachment_name = os.path.basename(attachment.name)[:120]
        message.attachment.save(message.attachment_name, attachment, save=False)
    message.save()
    return message


def _tell_member(conversation: Conversation) -> None:
    member = conversation.member
    if member is None or not member.email or member.erased_at is not None:
        return
    url = settings.SITE_URL.rstrip("/") + reverse("feedback:conversation", args=[conversation.pk])
    with translation.override(member.language):
        email_send_later(
            EmailMessage(
                subject=gettext("%(club)s has answered: %(subject)s")
                % {"club": settings.CLUB_NAME, "subject": conversation.subject},
                body=gettext(
                    'Hi %(name)s,\n\nThere is an answer to your message "%(subject)s". '
                    "Read it and reply here (you may need to log in):\n\n%(url)s\n"
                )
                % {"name": member.first_name, "subject": conversation.subject, "url": url},
                to=[member.email],
            )
        )


@transaction.atomic
def conversation_start(
    *,
    member: Member,
    subject: str,
    topic: str,
    body: str,
    attachment: UploadedFile | None = None,
    staff=None,
) -> Conversation:
    if member.erased_at is not None:
        raise ValidationError(_("This member is no longer in the club."), code="erased")
    if topic not in Conversation.Topic.values:
        raise field_error("topic", _("Choose a topic."), "invalid")
    subject, body = _clean_subject(subject), _clean_body(body)
    if attachment is not None:
        attachment_check(attachment)
    now = timezone.now()
    conversation = Conversation.objects.create(
        member=member,
        subject=subject,
        topic=topic,
        started_by_staff=staff is not None,
        status=Conversation.Status.ANSWERED if staff is not None else Conversation.Status.OPEN,
        assigned_to=staff,
        created_at=now,
        last_message_at=now,
    )
    _message(
        conversation,
        body=body,
        author=staff or member.user,
        from_staff=staff is not None,
        attachment=attachment,
    )
    if staff is not None:
        audit_log(action="feedback.conversation_start", actor=staff, target=conversation)
        _tell_member(conversation)
    return conversation


@transaction.atomic
def conversation_reply(
    *,
    conversation: Conversation,
    body: str,
    staff=None,
    member: Member | None = None,
    attachment: UploadedFile | None = None,
) -> ConversationMessage:
    conversation = Conversation.objects.select_for_update().get(pk=conversation.pk)
    if conversation.status == Conversation.Status.CLOSED:
        raise ValidationError(
            _("This conversation is closed. Start a new one if you need to."), code="closed"
        )
    if staff is None and (member is None or conversation.member_id != member.pk):
        raise ValidationError(_("This conversation is not yours."), code="not_yours")
    body = _clean_body(body)
    now = timezone.now()
    message = _message(
        conversation,
        body=body,
        author=staff or (member.user if member else None),
        from_staff=staff is not None,
        attachment=attachment,
    )
    conversation.last_message_at = now
    fields = ["last_message_at", "status"]
    if staff is not None:
        conversation.status = Conversation.Status.ANSWERED
        if conversation.first_response_at is None and not conversation.started_by_staff:
            conversation.first_response_at = now
            fields.append("first_response_at")
        if conversation.assigned_to_id is None:
            conversation.assigned_to = staff
            fields.append("assigned_to")
    else:
        conversation.status = Conversation.Status.OPEN
    conversation.save(update_fields=fields)
    if staff is not None:
        _tell_member(conversation)
    return message


@transaction.atomic
def conversation_close(*, conversation: Conversation, actor) -> Conversation:
    conversation = Conversation.objects.select_for_update().get(pk=conversation.pk)
    if conversation.status == Conversation.Status.CLOSED:
        return conversation
    conversation.status = Conversation.Status.CLOSED
    conversation.resolved_at = timezone.now()
    conversation.save(update_fields=["status", "resolved_at"])
    audit_log(action="feedback.conversation_close", actor=actor, target=conversation)
    return conversation


@transaction.atomic
def conversation_assign(*, conversation: Conversation, staff, actor) -> Conversation:
    conversation = Conversation.objects.select_for_update().get(pk=conversation.pk)
    conversation.assigned_to = staff
    conversation.save(update_fields=["assigned_to"])
    audit_log(
        action="feedback.conversation_assign",
        actor=actor,
        target=conversation,
        details={"to": staff.pk if staff else None},
    )
    return conversation
