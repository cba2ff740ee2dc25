from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from .models import AuditLogEntry


@admin.register(AuditLogEntry)
class AuditLogEntryAdmin(admin.ModelAdmin):
    """Read-only: the audit log is written by services, never edited."""

    list_display = [
        "created_at",
        "actor_label",
        "action",
        "target_type",
        "target_repr",
        "ip_address",
    ]
    list_filter = ["action", "target_type", ("created_at", admin.DateFieldListFilter)]
    search_fields = ["actor_label", "action", "target_repr", "target_id", "ip_address"]
    date_hierarchy = "created_at"
    list_select_related = ["actor"]
    readonly_fields = [f.name for f in AuditLogEntry._meta.fields]
    fieldsets = [
        (None, {"fields": ["created_at", "actor", "actor_label", "ip_address"]}),
        (_("What"), {"fields": ["action", "target_type", "target_id", "target_repr", "details"]}),
    ]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
