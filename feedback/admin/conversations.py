"""The conversation inbox: who waits for an answer, assignment, the times to first answer and to
resolve, replies from the thread's page (with saved replies), and conversations staff start."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from feedback.forms import add_service_errors
from feedback.models import Conversation, SavedReply
from feedback.selectors.conversations import conversation_messages, inbox_figures
from feedback.services.conversations import (
    conversation_close,
    conversation_reply,
    conversation_start,
)
from members.models import Member


class StaffReplyForm(forms.Form):
    saved = forms.ModelChoiceField(
        label=_("Saved reply"),
        queryset=SavedReply.objects.all(),
        required=False,
        help_text=_("Fills in the text below; edit it before sending."),
    )
    body = forms.CharField(label=_("Reply"), widget=forms.Textarea(attrs={"rows": 6, "cols": 80}))
    attachment = forms.FileField(label=_("Attachment"), required=False)


class StartForm(forms.Form):
    member = forms.CharField(label=_("Member"), help_text=_("Membership number or e-mail address."))
    topic = forms.ChoiceField(label=_("Topic"), choices=Conversation.Topic.choices)
    subject = forms.CharField(label=_("Subject"), max_length=140)
    body = forms.CharField(label=_("Message"), widget=forms.Textarea(attrs={"rows": 6, "cols": 80}))

    def clean_member(self) -> Member:
        value = self.cleaned_data["member"].strip()
        found = Member.objects.filter(erased_at__isnull=True).filter(number=value).first() or (
            Member.objects.filter(erased_at__isnull=True, email__iexact=value).first()
        )
        if found is None:
            raise ValidationError(_("No member has that number or e-mail address."))
        return found


@admin.register(Conversation)
class ConversationAdmin(admin.ModelAdmin):
    list_display = [
        "subject",
        "member",
        "status",
        "topic",
        "assigned_to",
        "created_at",
        "first_response_at",
        "last_message_at",
    ]
    list_filter = ["status", "topic", "assigned_to", "started_by_staff"]
    list_select_related = ["member", "assigned_to"]
    search_fields = ["subject", "member__number", "member__email"]
    fields = [
        "subject",
        "member",
        "topic",
        "status",
        "assigned_to",
        "created_at",
        "first_response_at",
        "resolved_at",
    ]
    readonly_fields = [
        "subject",
        "member",
        "topic",
        "status",
        "created_at",
        "first_response_at",
        "resolved_at",
    ]
    change_form_template = "admin/feedback/conversation/change_form.html"
    change_list_template = "admin/feedback/conversation/change_list.html"

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "figures": inbox_figures()}
        return super().changelist_view(request, extra_context)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        conversation = get_object_or_404(Conversation, pk=object_id)
        extra_context = {
            **(extra_context or {}),
            "thread": conversation_messages(conversation=conversation),
            "reply_form": StaffReplyForm(),
            "reply_url": reverse("admin:feedback_conversation_reply", args=[object_id]),
            "close_url": reverse("admin:feedback_conversation_close", args=[object_id]),
            "saved_replies": {str(r.pk): r.body for r in SavedReply.objects.all()},
        }
        return super().change_view(request, object_id, form_url, extra_context)

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path(
                "<int:pk>/reply/",
                view(require_POST(self.reply_view)),
                name="feedback_conversation_reply",
            ),
            path(
                "<int:pk>/close/",
                view(require_POST(self.close_view)),
                name="feedback_conversation_close",
            ),
            path("start/", view(self.start_view), name="feedback_conversation_start"),
            *super().get_urls(),
        ]

    def has_add_permission(self, request) -> bool:
        return False

    def _can_reply(self, request) -> bool:
        return request.user.has_perm("feedback.reply_conversation")

    def reply_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        if not self._can_reply(request):
            raise PermissionDenied
        conversation = get_object_or_404(Conversation, pk=pk)
        form = StaffReplyForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                conversation_reply(
                    conversation=conversation,
                    staff=request.user,
                    body=form.cleaned_data["body"],
                    attachment=form.cleaned_data.get("attachment"),
                )
            except ValidationError as error:
                messages.error(request, " ".join(error.messages))
            else:
                messages.success(request, _("Your reply is sent; the member gets an e-mail."))
        else:
            messages.error(request, _("Write a reply before sending."))
        return redirect("admin:feedback_conversation_change", pk)

    def close_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        if not self._can_reply(request):
            raise PermissionDenied
        conversation_close(conversation=get_object_or_404(Conversation, pk=pk), actor=request.user)
        messages.success(request, _("The conversation is closed."))
        return redirect("admin:feedback_conversation_changelist")

    def start_view(self, request: HttpRequest) -> HttpResponse:
        if not self._can_reply(request):
            raise PermissionDenied
        form = StartForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                conversation = conversation_start(
                    member=data["member"],
                    subject=data["subject"],
                    topic=data["topic"],
                    body=data["body"],
                    staff=request.user,
                )
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(
                    request, _("The conversation is started; the member gets an e-mail.")
                )
                return redirect("admin:feedback_conversation_change", conversation.pk)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "form": form,
            "title": _("Start a conversation with a member"),
        }
        return TemplateResponse(request, "admin/feedback/conversation_start.html", context)


@admin.register(SavedReply)
class SavedReplyAdmin(admin.ModelAdmin):
    list_display = ["title"]
    search_fields = ["title", "body"]
