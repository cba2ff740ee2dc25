"""Triggers in the admin: the condition, the message (a variant per welcome step), an on/off
switch through the audited service, and the figures of each."""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import path
from django.utils.decorators import method_decorator
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from campaigns.admin.campaigns import VariantInline
from campaigns.admin.forms import TriggerForm
from campaigns.models import Campaign, Message, Trigger
from campaigns.services.campaigns import SEND_PERMISSION
from campaigns.services.triggers import trigger_set_enabled


@admin.register(Trigger)
class TriggerAdmin(admin.ModelAdmin):
    form = TriggerForm
    inlines = [VariantInline]
    list_display = ["name", "trigger", "channel", "is_on", "sent", "opened", "clicked"]
    list_filter = ["trigger", "state"]
    change_form_template = "admin/campaigns/trigger_change_form.html"

    def get_queryset(self, request: HttpRequest):
        sent = Q(messages__state=Message.State.SENT)
        return (
            super()
            .get_queryset(request)
            .annotate(
                n_sent=Count("messages", filter=sent),
                n_opened=Count("messages", filter=Q(messages__opened_at__isnull=False)),
                n_clicked=Count("messages", filter=Q(messages__clicked_at__isnull=False)),
            )
        )

    @admin.display(description=_("on"), boolean=True)
    def is_on(self, obj: Trigger) -> bool:
        return obj.state == Campaign.State.SENDING

    @admin.display(description=_("sent"))
    def sent(self, obj) -> int:
        return obj.n_sent

    @admin.display(description=_("opened"))
    def opened(self, obj) -> int:
        return obj.n_opened

    @admin.display(description=_("clicked"))
    def clicked(self, obj) -> int:
        return obj.n_clicked

    def save_model(self, request, obj, form, change) -> None:
        if not change:
            obj.created_by = request.user
            obj.state = Campaign.State.PAUSED  # off until switched on
        super().save_model(request, obj, form, change)

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path(
                "<int:pk>/switch/<str:to>/", view(self.switch_view), name="campaigns_trigger_switch"
            ),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra = {**(extra_context or {}), "can_send": request.user.has_perm(SEND_PERMISSION)}
        return super().change_view(request, object_id, form_url, extra)

    @method_decorator(require_POST)
    def switch_view(self, request: HttpRequest, pk: int, to: str) -> HttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        trigger = get_object_or_404(Trigger.objects.all(), pk=pk)
        try:
            trigger_set_enabled(
                trigger=trigger, enabled=to == "on", actor=request.user, request=request
            )
        except PermissionDenied:
            messages.error(request, _("Only marketers and club admins may do that."))
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
        else:
            messages.success(
                request, _("The trigger is on.") if to == "on" else _("The trigger is off.")
            )
        return redirect("admin:campaigns_trigger_change", trigger.pk)
