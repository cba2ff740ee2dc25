"""The member's benefit choices, badges and challenges, and the opt-in leaderboard in the portal.
A member only ever reaches their own member (member_for_login)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from rewards.selectors.benefits import (
    benefit_choices_current,
    benefit_list_for_tier,
    benefit_period,
    benefit_picks_for_tier,
    member_tier,
)
from rewards.selectors.gamification import (
    badges_for_member,
    challenges_for_member,
    leaderboard_optin_get,
    leaderboard_rank,
    leaderboard_top,
)
from rewards.services.benefits import benefit_choices_set
from rewards.services.gamification import (
    leaderboard_default_name,
    leaderboard_join,
    leaderboard_leave,
)
from rewards.views import _member_or_redirect


@login_required
@require_http_methods(["GET", "POST"])
def benefits(request: HttpRequest) -> HttpResponse:
    """GET: the menu, the picks the tier grants and what the member chose this period.
    POST: record the choice (refused with a message, writing nothing, when not allowed)."""
    member, response = _member_or_redirect(request)
    if response:
        return response
    if request.method == "POST":
        try:
            benefit_choices_set(member=member, benefit_ids=request.POST.getlist("benefit"))
        except ValidationError as error:
            messages.error(request, error.messages[0])
        else:
            messages.success(request, _("Thank you! Your benefits for this period are saved."))
            return redirect("rewards:benefits")
    tier = member_tier(member=member)
    picks = benefit_picks_for_tier(tier=tier)
    choices = list(benefit_choices_current(member=member))
    chosen_ids = {choice.benefit_id for choice in choices}
    return render(
        request,
        "rewards/benefits.html",
        {
            "tier": tier,
            "picks": picks,
            "period": benefit_period(),
            "choices": choices,
            "chosen_ids": chosen_ids,
            "picks_left": max(picks - len(choices), 0),
            "menu": list(benefit_list_for_tier(tier=tier)) if picks else [],
        },
    )


@login_required
@require_GET
def badges(request: HttpRequest) -> HttpResponse:
    member, response = _member_or_redirect(request)
    if response:
        return response
    statuses = badges_for_member(member=member)
    return render(
        request,
        "rewards/badges.html",
        {
            "earned": [s for s in statuses if s.awarded_at],
            "to_earn": [s for s in statuses if not s.awarded_at],
            "challenges": challenges_for_member(member=member),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def leaderboard(request: HttpRequest) -> HttpResponse:
    """GET: the top 20 and the member's own rank. POST action=join (with a display name) or
    action=leave."""
    member, response = _member_or_redirect(request)
    if response:
        return response
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "join":
                optin = leaderboard_join(
                    member=member, display_name=request.POST.get("display_name")
                )
                messages.success(
                    request,
                    _("You are on the leaderboard as “%(name)s”.") % {"name": optin.display_name},
                )
            elif action == "leave":
                leaderboard_leave(member=member)
                messages.success(request, _("You have left the leaderboard."))
            else:
                raise ValidationError(_("Choose whether to join or leave the leaderboard."))
        except ValidationError as error:
            messages.error(request, error.messages[0])
        else:
            return redirect("rewards:leaderboard")
    optin = leaderboard_optin_get(member=member)
    return render(
        request,
        "rewards/leaderboard.html",
        {
            "optin": optin,
            "rows": leaderboard_top(member=member),
            "mine": leaderboard_rank(member=member) if optin else None,
            "default_name": leaderboard_default_name(member=member),
        },
    )
