from django.apps import apps
from django.contrib import admin, messages
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from .audit import audit_action_choices, audit_action_label
from .email import outgoing_emails_resend
from .models import AuditLogEntry, OutgoingEmail
from .services import audit_log


class AuditActionFilter(admin.SimpleListFilter):
    """The actions by name, in words."""

    title = _("action")
    parameter_name = "action"

    def lookups(self, request, model_admin):
        return audit_action_choices()

    def queryset(self, request, queryset):
        return queryset.filter(action=self.value()) if self.value() else queryset


@admin.register(AuditLogEntry)
class AuditLogEntryAdmin(admin.ModelAdmin):
    """Read-only: the audit log is written by services, never edited."""

    list_display = [
        "created_at",
        "actor_label",
        "action_display",
        "target_type_display",
        "target_repr",
        "ip_address",
    ]
    list_filter = [AuditActionFilter, "target_type", ("created_at", admin.DateFieldListFilter)]
    search_fields = ["actor_label", "action", "target_repr", "target_id", "ip_address"]
    date_hierarchy = "created_at"
    list_select_related = ["actor"]
    readonly_fields = [f.name for f in AuditLogEntry._meta.fields]
    fieldsets = [
        (None, {"fields": ["created_at", "actor", "actor_label", "ip_address"]}),
        (_("What"), {"fields": ["action", "target_type", "target_id", "target_repr", "details"]}),
    ]

    @admin.display(description=_("action"), ordering="action")
    def action_display(self, entry: AuditLogEntry) -> str:
        return str(audit_action_label(entry.action))

    @admin.display(description=_("object type"), ordering="target_type")
    def target_type_display(self, entry: AuditLogEntry) -> str:
        if not entry.target_type:
            return "—"
        try:
            model = apps.get_model(entry.target_type)
        except (LookupError, ValueError):
            return entry.target_type
        return str(model._meta.verbose_name)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(OutgoingEmail)
class OutgoingEmailAdmin(admin.ModelAdmin):
    """The outbox: what was sent, what waits, what failed and why. Read-only; failed e-mail can
    be sent again."""

    list_display = ["created_at", "status", "recipients", "subject", "attempts", "sent_at"]
    list_filter = ["status", ("created_at", admin.DateFieldListFilter)]
    search_fields = ["recipients", "subject"]
    actions = ["resend_selected"]
    fields = readonly_fields = (
        "status",
        "recipients",
        "subject",
        "body",
        "attempts",
        "next_attempt_at",
        "last_error",
        "created_at",
        "sent_at",
    )

    @admin.display(description=_("text"))
    def body(self, email: OutgoingEmail) -> str:
        payload = email.payload if isinstance(email.payload, dict) else {}
        return str(payload.get("body", ""))

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_resend_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("core.change_outgoingemail")

    @admin.action(description=_("Send failed e-mail again"), permissions=["resend"])
    def resend_selected(self, request: HttpRequest, queryset) -> None:
        count = outgoing_emails_resend(emails=queryset)
        if count:
            audit_log(action="email.resend", request=request, details={"count": count})
            self.message_user(
                request,
                ngettext(
                    "%(count)d e-mail will be sent again.",
                    "%(count)d e-mails will be sent again.",
                    count,
                )
                % {"count": count},
                messages.SUCCESS,
            )
        else:
            self.message_user(
                request,
                _("Only failed e-mail can be sent again; none was selected."),
                messages.WARNING,
            )
