"""What benefit choice and gamification add to the members app through its registries: the
member's benefit choices, badges, completed challenges and leaderboard name in the GDPR data
export, and the leaderboard name removed when a member is erased. `register()` is called once
from RewardsConfig.ready()."""

from __future__ import annotations

from typing import Any

from members.gdpr import gdpr_eraser_register, gdpr_exporter_register
from members.models import Member
from rewards.models import BenefitChoice, ChallengeCompletion, LeaderboardOptIn, MemberBadge
from rewards.services.gamification import leaderboard_leave


def benefit_choices_export(*, member: Member) -> list[dict[str, Any]]:
    return [
        {
            "period_start": choice.period_start.isoformat(),
            "benefit": choice.benefit.name,
            "chosen": choice.created_at.isoformat(),
        }
        for choice in BenefitChoice.objects.filter(member=member)
        .select_related("benefit")
        .order_by("period_start", "id")
    ]


def badges_export(*, member: Member) -> list[dict[str, Any]]:
    return [
        {"badge": award.badge.name, "awarded": award.awarded_at.isoformat()}
        for award in MemberBadge.objects.filter(member=member)
        .select_related("badge")
        .order_by("awarded_at", "id")
    ]


def challenges_export(*, member: Member) -> list[dict[str, Any]]:
    return [
        {"challenge": done.challenge.name, "completed": done.completed_at.isoformat()}
        for done in ChallengeCompletion.objects.filter(member=member)
        .select_related("challenge")
        .order_by("completed_at", "id")
    ]


def leaderboard_export(*, member: Member) -> list[dict[str, Any]]:
    return [
        {"display_name": optin.display_name, "joined": optin.created_at.isoformat()}
        for optin in LeaderboardOptIn.objects.filter(member=member)
    ]


def leaderboard_erase(*, member: Member) -> None:
    leaderboard_leave(member=member)


def register() -> None:
    gdpr_exporter_register("benefit_choices", benefit_choices_export)
    gdpr_exporter_register("badges", badges_export)
    gdpr_exporter_register("challenges", challenges_export)
    gdpr_exporter_register("leaderboard", leaderboard_export)
    gdpr_eraser_register(leaderboard_erase)
