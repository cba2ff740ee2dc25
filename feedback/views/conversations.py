"""'Contact the club' in the portal: a member's conversations with the club, each a thread they
can reply to until it is closed. Members see only their own (404 otherwise)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from feedback.forms import ConversationForm, ReplyForm, add_service_errors
from feedback.selectors.conversations import (
    conversation_get_for_member,
    conversation_messages,
    conversations_for_member,
)
from feedback.services.conversations import conversation_reply, conversation_start
from members.selectors.profiles import member_for_login


def _member(request: HttpRequest):
    member = member_for_login(user=request.user)
    if member is None:
        raise Http404("This login has no membership.")
    return member


@login_required
@require_http_methods(["GET", "POST"])
def contact(request: HttpRequest) -> HttpResponse:
    member = _member(request)
    form = ConversationForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            conversation = conversation_start(
                member=member,
                subject=data["subject"],
                topic=data["topic"],
                body=data["body"],
                attachment=data.get("attachment"),
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(
                request, _("Your message has reached the club. You get an e-mail when we answer.")
            )
            return redirect("feedback:conversation", conversation.pk)
    return render(
        request,
        "feedback/contact.html",
        {"form": form, "conversations": conversations_for_member(member=member)},
        status=400 if form.errors else 200,
    )


@login_required
@require_GET
def conversation(request: HttpRequest, conversation_id: int) -> HttpResponse:
    member = _member(request)
    thread = conversation_get_for_member(member=member, conversation_id=conversation_id)
    return render(
        request,
        "feedback/conversation.html",
        {
            "conversation": thread,
            "messages_": conversation_messages(conversation=thread),
            "form": ReplyForm(),
        },
    )


@login_required
@require_POST
def conversation_reply_view(request: HttpRequest, conversation_id: int) -> HttpResponse:
    member = _member(request)
    thread = conversation_get_for_member(member=member, conversation_id=conversation_id)
    form = ReplyForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            conversation_reply(
                conversation=thread,
                member=member,
                body=form.cleaned_data["body"],
                attachment=form.cleaned_data.get("attachment"),
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Your reply is sent."))
            return redirect("feedback:conversation", thread.pk)
    return render(
        request,
        "feedback/conversation.html",
        {
            "conversation": thread,
            "messages_": conversation_messages(conversation=thread),
            "form": form,
        },
        status=400,
    )


@login_required
@require_GET
def attachment(request: HttpRequest, conversation_id: int, message_id: int) -> HttpResponse:
    member = _member(request)
    thread = conversation_get_for_member(member=member, conversation_id=conversation_id)
    message = thread.messages.filter(pk=message_id).exclude(attachment="").first()
    if message is None:
        raise Http404("No such attachment.")
    response = FileResponse(
        message.attachment.open("rb"), as_attachment=True, filename=message.attachment_name
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response
