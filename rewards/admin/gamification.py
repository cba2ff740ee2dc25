"""Admin for benefit choice, badges, challenges and the leaderboard: staff edit the benefit menu,
the picks per tier, badges and challenges; what members chose or earned is read-only here (it
changes only through rewards.services), with members' benefit choices filtered by period."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from rewards.metrics import badge_metric_choices
from rewards.models import (
    Badge,
    Benefit,
    BenefitChoice,
    Challenge,
    ChallengeCompletion,
    LeaderboardOptIn,
    MemberBadge,
    TierBenefitAllowance,
)
from rewards.selectors.benefits import benefit_choice_periods, benefit_period

from .ledger import ReadOnlyAdmin


class MetricChoiceForm(forms.ModelForm):
    """The metric is picked from the registered metrics (rewards.metrics)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        choices = list(badge_metric_choices())
        current = getattr(self.instance, "metric", "")
        if current and current not in dict(choices):
            choices.append((current, _("%(key)s (not registered)") % {"key": current}))
        self.fields["metric"] = forms.ChoiceField(
            label=_("metric"),
            choices=choices,
            help_text=_("What is counted; other apps add their own metrics."),
        )


@admin.register(Benefit)
class BenefitAdmin(admin.ModelAdmin):
    list_display = ["name_sv", "name_en", "is_active", "order"]
    list_filter = ["is_active", "tiers"]
    list_editable = ["is_active", "order"]
    search_fields = ["name_sv", "name_en"]
    filter_horizontal = ["tiers"]

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        if obj is not None and BenefitChoice.objects.filter(benefit=obj).exists():
            return False  # chosen by members: deactivate it instead
        return super().has_delete_permission(request, obj)


@admin.register(TierBenefitAllowance)
class TierBenefitAllowanceAdmin(admin.ModelAdmin):
    list_display = ["tier", "picks_per_period"]
    ordering = ["tier__order"]


class PeriodFilter(admin.SimpleListFilter):
    title = _("period")
    parameter_name = "period"

    def lookups(self, request, model_admin):
        current = benefit_period().start
        periods = benefit_choice_periods()
        if current not in periods:
            periods.insert(0, current)
        return [
            (
                period.isoformat(),
                _("%(date)s (current)") % {"date": period} if period == current else str(period),
            )
            for period in periods
        ]

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(period_start=self.value())
        return queryset


@admin.register(BenefitChoice)
class BenefitChoiceAdmin(ReadOnlyAdmin):
    list_display = ["member", "benefit", "period_start", "created_at"]
    list_filter = [PeriodFilter, "benefit"]
    list_select_related = ["member", "benefit"]
    search_fields = ["member__number", "member__email", "member__last_name"]
    raw_id_fields = ["member"]


@admin.register(Badge)
class BadgeAdmin(admin.ModelAdmin):
    form = MetricChoiceForm
    list_display = ["name_sv", "name_en", "slug", "metric", "threshold", "points", "is_active"]
    list_filter = ["is_active", "metric"]
    search_fields = ["name_sv", "name_en", "slug"]
    prepopulated_fields = {"slug": ["name_en"]}

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        if obj is not None and MemberBadge.objects.filter(badge=obj).exists():
            return False  # earned by members: deactivate it instead
        return super().has_delete_permission(request, obj)


@admin.register(MemberBadge)
class MemberBadgeAdmin(ReadOnlyAdmin):
    list_display = ["member", "badge", "awarded_at"]
    list_filter = ["badge", "awarded_at"]
    list_select_related = ["member", "badge"]
    search_fields = ["member__number", "member__email", "member__last_name"]


@admin.register(Challenge)
class ChallengeAdmin(admin.ModelAdmin):
    form = MetricChoiceForm
    list_display = ["name_sv", "name_en", "metric", "target", "starts_at", "ends_at", "is_active"]
    list_filter = ["is_active", "metric"]
    search_fields = ["name_sv", "name_en"]
    raw_id_fields = ["badge", "segment"]

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        if obj is not None and ChallengeCompletion.objects.filter(challenge=obj).exists():
            return False
        return super().has_delete_permission(request, obj)


@admin.register(ChallengeCompletion)
class ChallengeCompletionAdmin(ReadOnlyAdmin):
    list_display = ["challenge", "member", "completed_at"]
    list_filter = ["challenge"]
    list_select_related = ["member", "challenge"]
    search_fields = ["member__number", "member__email", "member__last_name"]


@admin.register(LeaderboardOptIn)
class LeaderboardOptInAdmin(ReadOnlyAdmin):
    list_display = ["display_name", "member", "created_at"]
    list_select_related = ["member"]
    search_fields = ["display_name", "member__number"]
