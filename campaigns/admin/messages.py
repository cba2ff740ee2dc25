"""The outbox, read-only: staff see every message with its state and reason, and find the ones
in doubt (a worker stopped while handing them over) here."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from campaigns.models import Bounce, Message


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "campaign",
        "member",
        "channel",
        "variant",
        "is_holdout",
        "state",
        "skip_reason",
        "sent_at",
        "opened_at",
        "clicked_at",
    ]
    list_filter = ["state", "skip_reason", "channel", "is_holdout"]
    list_select_related = ["campaign", "member", "variant"]
    search_fields = ["member__number", "member__email", "campaign__name", "provider_id"]
    raw_id_fields = ["member", "campaign", "variant"]
    show_full_result_count = False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(Bounce)
class BounceAdmin(admin.ModelAdmin):
    list_display = ["address", "reason", "created_at"]
    search_fields = ["address"]

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False
