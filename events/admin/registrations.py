"""Registrations, check-ins and invitations in the admin: read-only rows that change only
through the services (promote from the waitlist, cancel), a CSV export, and the check-in scans
with the flagged ones to review."""

from __future__ import annotations

from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from events.models import CheckIn, Invitation, Registration
from events.services.registrations import event_cancel_registration, registration_promote
from members.csvutil import csv_response


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(Registration)
class RegistrationAdmin(ReadOnlyAdmin):
    list_display = [
        "code",
        "member",
        "event",
        "status",
        "guests",
        "waitlist_position",
        "attended_at",
        "points_paid",
    ]
    list_filter = ["status", "event"]
    list_select_related = ["member", "event"]
    search_fields = ["code", "member__number", "member__email", "member__last_name"]
    ordering = ["event", "status", "waitlist_position", "pk"]
    actions = ["promote", "cancel", "export_csv"]
    readonly_fields = [f.name for f in Registration._meta.fields if f.name != "qr_token"]
    exclude = ["qr_token"]

    def _run(self, request: HttpRequest, queryset, func) -> None:
        done = 0
        for registration in queryset.order_by("event_id", "waitlist_position", "pk"):
            try:
                func(registration)
            except ValidationError as error:
                self.message_user(request, f"{registration.code}: {error.messages[0]}", "error")
            else:
                done += 1
        self.message_user(request, _("%(count)d registrations changed.") % {"count": done})

    @admin.action(
        description=_("Move from the waitlist to registered"),
        permissions=["change_registration"],
    )
    def promote(self, request: HttpRequest, queryset: QuerySet[Registration]) -> None:
        self._run(
            request,
            queryset,
            lambda r: registration_promote(registration=r, actor=request.user),
        )

    @admin.action(description=_("Cancel (points refunded)"), permissions=["change_registration"])
    def cancel(self, request: HttpRequest, queryset: QuerySet[Registration]) -> None:
        self._run(
            request,
            queryset,
            lambda r: event_cancel_registration(registration=r, by_staff=True, actor=request.user),
        )

    def has_change_registration_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("events.change_registration")

    @admin.action(description=_("Export to CSV"))
    def export_csv(self, request: HttpRequest, queryset: QuerySet[Registration]):
        rows = queryset.select_related("member", "event").order_by("event_id", "pk")
        return csv_response(
            "registrations.csv",
            [
                _("event"),
                _("code"),
                _("member"),
                _("e-mail address"),
                _("guests"),
                _("status"),
                _("checked in"),
            ],
            (
                [
                    r.event.title,
                    r.code,
                    r.member.full_name,
                    r.member.email,
                    r.guests,
                    r.get_status_display(),
                    r.attended_at.isoformat() if r.attended_at else "",
                ]
                for r in rows.iterator(chunk_size=500)
            ),
        )


@admin.register(CheckIn)
class CheckInAdmin(ReadOnlyAdmin):
    list_display = [
        "scanned_at",
        "event",
        "code",
        "registration",
        "accepted",
        "flagged",
        "flag_reason",
        "staff",
    ]
    list_filter = ["flagged", "accepted", "event"]
    list_select_related = ["event", "registration__member", "staff"]
    search_fields = ["code", "nonce"]


@admin.register(Invitation)
class InvitationAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "event", "member"]
    list_filter = ["event"]
    list_select_related = ["event", "member"]
    search_fields = ["member__number", "member__email"]
