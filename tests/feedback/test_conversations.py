"""Contact the club: threads with replies, attachments checked by content, closed threads
refused, another member's thread a 404, staff answers e-mailed, erasure."""

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from core.models import OutgoingEmail
from feedback.models import Conversation, ConversationMessage
from feedback.services.conversations import (
    conversation_close,
    conversation_reply,
    conversation_start,
)
from members.services.gdpr import member_erase
from tests.members.factories import MemberFactory, StaffFactory, UserFactory

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def _start(member=None, **kwargs):
    return conversation_start(
        member=member or MemberFactory(),
        subject=kwargs.pop("subject", "Mina poäng saknas"),
        topic=kwargs.pop("topic", "points"),
        body=kwargs.pop("body", "Köpet i lördags gav inga poäng."),
        **kwargs,
    )


def test_a_receipt_as_pdf_or_png_is_accepted():
    for name, data in (("kvitto.pdf", PDF), ("kvitto.png", PNG)):
        conversation = _start(attachment=SimpleUploadedFile(name, data))
        message = conversation.messages.get()
        assert message.attachment_name == name


@pytest.mark.parametrize(
    ("name", "data", "code"),
    [
        ("kvitto.pdf", PNG, "content"),  # not what its name says
        ("kvitto.png", b"<svg onload=alert(1)>", "content"),
        ("script.html", b"<script>", "type"),
        ("stor.pdf", PDF + b"0" * (5 * 1024 * 1024), "size"),
    ],
)
def test_attachments_that_are_not_what_they_say_or_too_big_are_refused(name, data, code):
    with pytest.raises(ValidationError) as caught:
        _start(attachment=SimpleUploadedFile(name, data))
    assert caught.value.error_dict["attachment"][0].code == code
    assert not Conversation.objects.exists()


def test_staff_reply_times_the_first_answer_and_emails_the_member():
    member = MemberFactory(email="kund@example.se")
    conversation = _start(member)
    staff = StaffFactory()

    conversation_reply(conversation=conversation, staff=staff, body="Vi har lagt till poängen.")

    conversation.refresh_from_db()
    assert conversation.status == "answered"
    assert conversation.first_response_at is not None
    assert conversation.assigned_to == staff
    assert OutgoingEmail.objects.count() == 1
    conversation_reply(conversation=conversation, member=member, body="Tack!")
    conversation.refresh_from_db()
    assert conversation.status == "open"


def test_a_closed_conversation_takes_no_replies_and_others_cannot_reply():
    member = MemberFactory()
    conversation = _start(member)
    with pytest.raises(ValidationError) as caught:
        conversation_reply(conversation=conversation, member=MemberFactory(), body="Hej")
    assert caught.value.code == "not_yours"
    conversation_close(conversation=conversation, actor=StaffFactory())
    with pytest.raises(ValidationError) as caught:
        conversation_reply(conversation=conversation, member=member, body="En sak till")
    assert caught.value.code == "closed"
    assert conversation.messages.count() == 1


def test_portal_pages_show_only_ones_own_threads(client):
    user, other_user = UserFactory(), UserFactory()
    member = MemberFactory(user=user)
    MemberFactory(user=other_user)
    client.force_login(user)

    sent = client.post(
        reverse("feedback:contact"),
        {"topic": "order", "subject": "Trasig vara", "body": "<b>Hej</b> blixtlåset gick sönder"},
    )
    assert sent.status_code == 302
    conversation = Conversation.objects.get(member=member)
    page = client.get(reverse("feedback:conversation", args=[conversation.pk])).content.decode()
    assert "&lt;b&gt;Hej&lt;/b&gt;" in page

    client.force_login(other_user)
    assert client.get(reverse("feedback:conversation", args=[conversation.pk])).status_code == 404
    refused = client.post(
        reverse("feedback:conversation-reply", args=[conversation.pk]), {"body": "Intrång"}
    )
    assert refused.status_code == 404
    assert conversation.messages.count() == 1


def test_a_bad_attachment_in_the_portal_is_a_clear_message(client):
    user = UserFactory()
    MemberFactory(user=user, language="en")
    client.force_login(user)
    page = client.post(
        reverse("feedback:contact"),
        {
            "topic": "order",
            "subject": "Kvitto",
            "body": "Se bifogat",
            "attachment": SimpleUploadedFile("kvitto.pdf", b"MZ\x90\x00 not a pdf"),
        },
    )
    assert page.status_code == 400
    assert "not what its name says" in page.content.decode()
    assert not Conversation.objects.exists()


def test_staff_inbox_replies_and_shows_figures(client, settings):
    settings.STAFF_MFA_REQUIRED = False
    client.force_login(StaffFactory(is_superuser=True))
    conversation = _start()

    listing = client.get(reverse("admin:feedback_conversation_changelist"))
    assert listing.status_code == 200
    thread = client.get(reverse("admin:feedback_conversation_change", args=[conversation.pk]))
    assert thread.status_code == 200
    client.post(
        reverse("admin:feedback_conversation_reply", args=[conversation.pk]), {"body": "Hej!"}
    )
    assert conversation.messages.filter(from_staff=True).count() == 1


def test_erasure_removes_the_messages_and_keeps_the_times():
    member = MemberFactory()
    conversation = _start(member, attachment=SimpleUploadedFile("kvitto.pdf", PDF))
    conversation_reply(conversation=conversation, staff=StaffFactory(), body="Svar")

    member_erase(member=member, actor=StaffFactory())

    conversation.refresh_from_db()
    assert conversation.member_id is None and conversation.subject == "—"
    assert conversation.first_response_at is not None
    assert not ConversationMessage.objects.exists()
