"""The events admin: events with attendees and waitlist, figures, CSV export, invitations, staff
registration, a recurring series in one step. Capacity changes and cancelling go through the
services (locks, waitlist promotion, refunds, e-mail), never a plain save."""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from events.admin.forms import InviteForm, SeriesForm, StaffRegisterForm
from events.models import Event, Registration
from events.selectors.staff import event_figures
from events.services.registrations import event_cancel, event_capacity_change, event_register
from events.services.reminders import invitations_send
from events.services.series import event_series_create
from members.csvutil import csv_response
from members.models import Member
from members.selectors.segments import segment_members

S = Registration.Status


class _RegistrationInline(admin.TabularInline):
    model = Registration
    extra = 0
    can_delete = False
    show_change_link = True
    fields = ["member", "guests", "status", "code", "attended_at"]
    readonly_fields = fields
    status_filter: Q = Q()
    max_shown = 200

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def get_queryset(self, request: HttpRequest) -> QuerySet[Registration]:
        return super().get_queryset(request).filter(self.status_filter).select_related("member")


class AttendeeInline(_RegistrationInline):
    verbose_name = _("attendee")
    verbose_name_plural = _("attendees (registered)")
    status_filter = Q(status__in=[S.REGISTERED, S.OFFERED])


class WaitlistInline(_RegistrationInline):
    verbose_name = _("waiting member")
    verbose_name_plural = _("waitlist")
    fields = ["waitlist_position", "member", "guests", "created_at"]
    readonly_fields = fields
    status_filter = Q(status=S.WAITLISTED)
    ordering = ["waitlist_position"]


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):
    list_display = ["title_sv", "starts_at", "city", "status", "seats", "capacity"]
    list_filter = ["status", "city", "eligibility", "starts_at"]
    search_fields = ["title_sv", "title_en", "venue", "city"]
    date_hierarchy = "starts_at"
    filter_horizontal = ["tiers"]
    readonly_fields = ["seats_taken", "figures", "links", "series_key"]
    inlines = [AttendeeInline, WaitlistInline]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    actions = ["cancel_events"]
    fieldsets = [
        (None, {"fields": ["title_sv", "title_en", "description_sv", "description_en", "picture"]}),
        (
            _("When and where"),
            {"fields": ["starts_at", "ends_at", "venue", "address", "city", "online_url"]},
        ),
        (
            _("Registration"),
            {
                "fields": [
                    "status",
                    "capacity",
                    "seats_taken",
                    "guests_allowed",
                    "registration_opens_at",
                    "registration_closes_at",
                    "cancellation_deadline",
                    "waitlist_mode",
                    "offer_hours",
                    "reminder_hours",
                ]
            },
        ),
        (_("Who may come"), {"fields": ["eligibility", "tiers", "segment"]}),
        (_("Points"), {"fields": ["points_price", "attendance_points", "reward"]}),
        (_("Figures"), {"fields": ["figures", "links", "series_key"]}),
    ]

    @admin.display(description=_("seats taken"))
    def seats(self, event: Event) -> str:
        return f"{event.seats_taken} / {event.capacity}"

    @admin.display(description=_("figures"))
    def figures(self, event: Event) -> str:
        if event.pk is None:
            return "–"
        data = event_figures(event=event)
        rows = [
            (_("Invited"), data["invited"]),
            (_("Registered"), data["registered"]),
            (_("On the waitlist"), data["waitlisted"]),
            (_("Offered a seat"), data["offered"]),
            (_("Cancelled or declined"), data["cancelled"]),
            (_("Attended"), data["attended"]),
            (
                _("No-show rate"),
                "–" if data["no_show_rate"] is None else f"{data['no_show_rate']} %",
            ),
            (_("Points spent"), data["points_spent"]),
            (_("Points awarded"), data["points_awarded"]),
        ]
        return format_html(
            "<table>{}</table>",
            format_html_join("", "<tr><th>{}</th><td>{}</td></tr>", rows),
        )

    @admin.display(description=_("actions"))
    def links(self, event: Event) -> str:
        if event.pk is None:
            return "–"
        registrations = reverse("admin:events_registration_changelist")
        items = [
            (f"{registrations}?event__id__exact={event.pk}", _("All registrations")),
            (reverse("admin:events_event_export", args=[event.pk]), _("Export attendees (CSV)")),
            (reverse("admin:events_event_invite", args=[event.pk]), _("Invite tiers or a segment")),
            (reverse("admin:events_event_register", args=[event.pk]), _("Register a member")),
            (reverse("events:checkin", args=[event.pk]), _("Open check-in")),
        ]
        return format_html_join(" · ", '<a href="{}">{}</a>', items)

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("series/", view(self.series_view), name="events_event_series"),
            path("<int:event_id>/export/", view(self.export_view), name="events_event_export"),
            path("<int:event_id>/invite/", view(self.invite_view), name="events_event_invite"),
            path(
                "<int:event_id>/register/", view(self.register_view), name="events_event_register"
            ),
            *super().get_urls(),
        ]

    # --- Saving through the services ---------------------------------------------------------

    def save_model(self, request: HttpRequest, obj: Event, form, change: bool) -> None:
        if not change:
            obj.seats_taken = 0
            super().save_model(request, obj, form, change)
            return
        capacity_changed = "capacity" in form.changed_data
        cancelled = "status" in form.changed_data and obj.status == Event.Status.CANCELLED
        fields = [
            f.name
            for f in Event._meta.concrete_fields
            if f.name not in ("id", "seats_taken", "created_at")
            and not (f.name == "capacity" and capacity_changed)
            and not (f.name == "status" and cancelled)
        ]
        obj.save(update_fields=fields)
        if capacity_changed:
            try:
                event_capacity_change(event=obj, capacity=obj.capacity, actor=request.user)
            except ValidationError as error:
                self.message_user(request, error.messages[0], messages.ERROR)
        if cancelled:
            event_cancel(event=obj, actor=request.user)

    @admin.action(description=_("Cancel the events (tell everyone, refund points)"))
    def cancel_events(self, request: HttpRequest, queryset: QuerySet[Event]) -> None:
        done = 0
        for event in queryset.exclude(status=Event.Status.CANCELLED):
            event_cancel(event=event, actor=request.user)
            done += 1
        self.message_user(request, _("%(count)d events cancelled.") % {"count": done})

    # --- Pages -------------------------------------------------------------------------------

    def _event(self, request: HttpRequest, event_id: int, perm: str = "change") -> Event:
        event = self.get_object(request, str(event_id))
        if event is None:
            raise PermissionDenied
        if perm == "change" and not self.has_change_permission(request, event):
            raise PermissionDenied
        if perm == "view" and not self.has_view_permission(request, event):
            raise PermissionDenied
        return event

    def _render(self, request, template: str, title, **context) -> HttpResponse:
        context = {
            **self.admin_site.each_context(request),
            "title": title,
            "opts": self.model._meta,
            **context,
        }
        return TemplateResponse(request, template, context)

    def export_view(self, request: HttpRequest, event_id: int) -> HttpResponse:
        event = self._event(request, event_id, perm="view")
        rows = (
            Registration.objects.filter(event=event)
            .exclude(status__in=[S.CANCELLED, S.DECLINED])
            .select_related("member")
            .order_by("status", "waitlist_position", "member__last_name")
        )
        return csv_response(
            f"event-{event.pk}.csv",
            [
                _("code"),
                _("membership number"),
                _("first name"),
                _("last name"),
                _("e-mail address"),
                _("guests"),
                _("status"),
                _("place in line"),
                _("checked in"),
            ],
            (
                [
                    r.code,
                    r.member.number,
                    r.member.first_name,
                    r.member.last_name,
                    r.member.email,
                    r.guests,
                    r.get_status_display(),
                    r.waitlist_position or "",
                    r.attended_at.isoformat() if r.attended_at else "",
                ]
                for r in rows.iterator(chunk_size=500)
            ),
        )

    def invite_view(self, request: HttpRequest, event_id: int) -> HttpResponse:
        event = self._event(request, event_id)
        form = InviteForm(request.POST if request.method == "POST" else None)
        if request.method == "POST" and form.is_valid():
            members = Member.objects.none()
            if form.cleaned_data["tiers"]:
                members = Member.objects.filter(points_account__tier__in=form.cleaned_data["tiers"])
            if form.cleaned_data["segment"] is not None:
                in_segment = segment_members(rules=form.cleaned_data["segment"].rules)
                members = Member.objects.filter(
                    Q(pk__in=members.values("pk")) | Q(pk__in=in_segment.values("pk"))
                )
            count = invitations_send(event=event, members=members, actor=request.user)
            self.message_user(
                request,
                _("%(count)d invitations sent (members invited before are not sent another).")
                % {"count": count},
            )
            return redirect("admin:events_event_change", event.pk)
        return self._render(
            request,
            "admin/events/form.html",
            _("Invite to %(event)s") % {"event": event.title},
            form=form,
            submit=_("Send invitations"),
        )

    def register_view(self, request: HttpRequest, event_id: int) -> HttpResponse:
        event = self._event(request, event_id)
        form = StaffRegisterForm(request.POST if request.method == "POST" else None)
        if request.method == "POST" and form.is_valid():
            try:
                registration = event_register(
                    event=event,
                    member=form.cleaned_data["member"],
                    guests=form.cleaned_data["guests"],
                    by_staff=True,
                    actor=request.user,
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                self.message_user(
                    request,
                    _("%(member)s: %(status)s (code %(code)s).")
                    % {
                        "member": registration.member,
                        "status": registration.get_status_display(),
                        "code": registration.code,
                    },
                )
                return redirect("admin:events_event_change", event.pk)
        return self._render(
            request,
            "admin/events/form.html",
            _("Register a member for %(event)s") % {"event": event.title},
            form=form,
            submit=_("Register"),
        )

    def series_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = SeriesForm(request.POST if request.method == "POST" else None)
        if request.method == "POST" and form.is_valid():
            data = dict(form.cleaned_data)
            tiers = data.pop("tiers")
            schedule = {
                "first": data.pop("first_date"),
                "starts": data.pop("start_time"),
                "ends": data.pop("end_time"),
                "every_weeks": data.pop("every_weeks"),
                "count": data.pop("count"),
            }
            try:
                events = event_series_create(
                    fields=data, tiers=tiers, actor=request.user, **schedule
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                self.message_user(request, _("%(count)d events created.") % {"count": len(events)})
                changelist = reverse("admin:events_event_changelist")
                return redirect(f"{changelist}?series_key={events[0].series_key}")
        return self._render(
            request,
            "admin/events/form.html",
            _("Create a series of events"),
            form=form,
            submit=_("Create the series"),
        )
