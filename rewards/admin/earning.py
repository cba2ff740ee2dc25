"""Admin for the earning rules beyond points per SEK: bonus periods and activity rules.
Club admins and marketers manage them; store staff may look (rewards/migrations/0003)."""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from rewards.models import ActivityRule, BonusPeriod


@admin.register(BonusPeriod)
class BonusPeriodAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "multiplier",
        "segment",
        "starts_at",
        "ends_at",
        "channel",
        "store",
        "is_active",
    ]
    list_filter = ["is_active", "channel", "store", "segment"]
    search_fields = ["name", "segment__name"]
    date_hierarchy = "starts_at"
    list_select_related = ["segment", "store"]
    fieldsets = [
        (None, {"fields": ["name", "multiplier", "is_active"]}),
        (
            _("Who and when"),
            {
                "fields": ["segment", "starts_at", "ends_at", "channel", "store"],
                "description": _(
                    "Purchases from the start up to (not including) the end earn the base "
                    "points times the multiplier, on top of the member's tier multiplier. "
                    "When several bonus periods apply, only the highest multiplier counts."
                ),
            },
        ),
    ]


@admin.register(ActivityRule)
class ActivityRuleAdmin(admin.ModelAdmin):
    list_display = [
        "activity",
        "points",
        "valid_from",
        "valid_until",
        "cap_per_day",
        "cap_per_period",
        "period_days",
        "once_per_member",
        "is_active",
    ]
    list_filter = ["is_active", "activity", "once_per_member"]
    search_fields = ["activity"]
    fieldsets = [
        (
            None,
            {
                "fields": ["activity", "points", "is_active"],
                "description": _(
                    "Points a member earns for an activity. When several active rules for the "
                    "same activity are valid at once, the one starting last applies."
                ),
            },
        ),
        (_("Validity"), {"fields": ["valid_from", "valid_until"]}),
        (
            _("Limits"),
            {
                "fields": ["once_per_member", "cap_per_day", "cap_per_period", "period_days"],
                "description": _(
                    "When a limit is reached the member earns nothing more for the activity "
                    "until the day or period has passed."
                ),
            },
        ),
    ]
