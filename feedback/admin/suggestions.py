"""The suggestions board for staff: set a status with a public answer (voters are told), merge a
duplicate into its original, hide with a reason (the author is told) or restore. Saving the
form goes through the services, so the e-mails, points and audit log follow."""

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
from feedback.models import Suggestion, SuggestionComment
from feedback.services.suggestions import (
    suggestion_hide,
    suggestion_restore,
    suggestion_set_status,
)


class HideForm(forms.Form):
    reason = forms.CharField(
        label=_("Why it is hidden"),
        max_length=200,
        help_text=_("The author gets this reason by e-mail, in their language."),
    )


class SuggestionAdminForm(forms.ModelForm):
    class Meta:
        model = Suggestion
        fields = ["status", "answer", "duplicate_of"]

    def clean(self):
        data = super().clean()
        if data.get("status") == Suggestion.Status.DUPLICATE and not data.get("duplicate_of"):
            self.add_error("duplicate_of", _("Say which suggestion this one duplicates."))
        if data.get("duplicate_of") and data["duplicate_of"].pk == self.instance.pk:
            self.add_error("duplicate_of", _("A suggestion cannot duplicate itself."))
        return data


class CommentInline(admin.TabularInline):
    model = SuggestionComment
    extra = 0
    can_delete = False
    fields = ["created_at", "author", "staff_author", "body", "hidden"]
    readonly_fields = ["created_at", "author", "staff_author", "body"]

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Suggestion)
class SuggestionAdmin(admin.ModelAdmin):
    form = SuggestionAdminForm
    list_display = ["title", "status", "votes", "comments", "topic", "hidden", "created_at"]
    list_filter = ["status", "topic", "hidden"]
    search_fields = ["title", "body"]
    list_select_related = ["author"]
    ordering = ["-votes", "-created_at"]
    inlines = [CommentInline]
    fields = [
        "title",
        "topic",
        "author",
        "body",
        "votes",
        "comments",
        "created_at",
        "status",
        "answer",
        "duplicate_of",
        "hidden",
        "hidden_reason",
        "answered_by",
        "answered_at",
    ]
    readonly_fields = [
        "title",
        "topic",
        "author",
        "body",
        "votes",
        "comments",
        "created_at",
        "hidden",
        "hidden_reason",
        "answered_by",
        "answered_at",
    ]
    raw_id_fields = ["duplicate_of"]

    def has_add_permission(self, request) -> bool:
        return False

    def save_model(self, request, obj, form, change) -> None:
        """The status and answer go through the service (voters told, points, audit)."""
        try:
            suggestion_set_status(
                suggestion=obj,
                status=form.cleaned_data["status"],
                answer=form.cleaned_data.get("answer", ""),
                duplicate_of=form.cleaned_data.get("duplicate_of"),
                actor=request.user,
            )
        except ValidationError as error:
            # Shown on the next page; nothing was written (the service refused before writing).
            messages.error(request, " ".join(error.messages))

    def save_formset(self, request, form, formset, change) -> None:
        formset.save()  # only the comments' "hidden" box is editable

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("<int:pk>/hide/", view(self.hide_view), name="feedback_suggestion_hide"),
            path(
                "<int:pk>/restore/",
                view(require_POST(self.restore_view)),
                name="feedback_suggestion_restore",
            ),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = extra_context or {}
        extra_context["hide_url"] = reverse("admin:feedback_suggestion_hide", args=[object_id])
        extra_context["restore_url"] = reverse(
            "admin:feedback_suggestion_restore", args=[object_id]
        )
        return super().change_view(request, object_id, form_url, extra_context)

    def hide_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        if not self.has_change_permission(request):
            raise PermissionDenied
        suggestion = get_object_or_404(Suggestion, pk=pk)
        form = HideForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                suggestion_hide(
                    suggestion=suggestion, actor=request.user, reason=form.cleaned_data["reason"]
                )
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, _("The suggestion is hidden and its author told why."))
                return redirect("admin:feedback_suggestion_change", pk)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "form": form,
            "original": suggestion,
            "title": _("Hide “%(title)s”") % {"title": suggestion.title},
        }
        return TemplateResponse(request, "admin/feedback/suggestion_hide.html", context)

    def restore_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        if not self.has_change_permission(request):
            raise PermissionDenied
        suggestion_restore(suggestion=get_object_or_404(Suggestion, pk=pk), actor=request.user)
        messages.success(request, _("The suggestion is shown on the board again."))
        return redirect("admin:feedback_suggestion_change", pk)
