"""The member's rewards pages in the portal: points and tier, the catalogue, the redeem flow
with a confirmation step, and their vouchers. A member only ever reaches their own member."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods

from members.selectors.profiles import member_for_login
from rewards.forms import CatalogueFilterForm, RedeemForm
from rewards.models import Redemption, Reward
from rewards.selectors.catalogue import (
    delivery_last_address,
    redemption_list_for_member,
    reward_get_for_member,
    reward_list_for_member,
)
from rewards.selectors.earning_guide import earning_guide
from rewards.selectors.ledger import points_entries, points_summary
from rewards.services.redemptions import Delivery, reward_redeem

PAGE_SIZE = 20


def _member_or_redirect(request: HttpRequest):
    member = member_for_login(user=request.user)
    if member is None:
        # The profile page links the login to its member (or asks to confirm the e-mail).
        return None, redirect("members:profile")
    return member, None


@login_required
@require_GET
def points(request: HttpRequest) -> HttpResponse:
    member, response = _member_or_redirect(request)
    if response:
        return response
    page = Paginator(points_entries(member=member), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "rewards/points.html",
        {"member": member, "summary": points_summary(member=member), "page": page},
    )


@login_required
@require_GET
def catalogue(request: HttpRequest) -> HttpResponse:
    member, response = _member_or_redirect(request)
    if response:
        return response
    summary = points_summary(member=member)
    form = CatalogueFilterForm(request.GET or None)
    filters: dict = {}
    if form.is_valid():
        filters = {
            "kind": form.cleaned_data["kind"],
            "max_cost": form.cleaned_data["max_cost"],
            "affordable_with": summary.balance if form.cleaned_data["affordable"] else None,
        }
    page = Paginator(reward_list_for_member(member=member, **filters), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "rewards/catalogue.html",
        {"summary": summary, "form": form, "page": page},
    )


@login_required
@require_GET
def reward_detail(request: HttpRequest, reward_id: int) -> HttpResponse:
    """One reward with its picture, description and what it costs the member."""
    member, response = _member_or_redirect(request)
    if response:
        return response
    reward = reward_get_for_member(member=member, reward_id=reward_id, with_my_redemptions=True)
    summary = points_summary(member=member)
    return render(
        request,
        "rewards/detail.html",
        {
            "reward": reward,
            "summary": summary,
            "short": max(reward.points_cost - summary.balance, 0),
        },
    )


def _redeem_initial(member, reward: Reward) -> dict:
    initial: dict = {"key": uuid.uuid4().hex}
    if reward.is_physical:
        store = member.preferred_store
        use_store = store is not None and store.is_active and not store.is_online
        initial |= {
            "delivery": Redemption.Delivery.PICKUP if use_store else Redemption.Delivery.POST,
            "pickup_store": store if use_store else None,
            "delivery_name": member.full_name,
            "delivery_postcode": member.postcode,
            "delivery_city": member.city,
            "delivery_address": "",
        }
        # The street is not part of the profile: the address the member last had a reward sent
        # to fills it in (and the rest, when they had it sent elsewhere).
        last = delivery_last_address(member=member)
        if last:
            initial |= last
    return initial


def _delivery_from(form: RedeemForm, reward: Reward) -> Delivery | None:
    if not reward.is_physical or not form.cleaned_data.get("delivery"):
        return None
    data = form.cleaned_data
    return Delivery(
        method=data["delivery"],
        name=data["delivery_name"],
        address=data["delivery_address"],
        postcode=data["delivery_postcode"],
        city=data["delivery_city"],
        store=data["pickup_store"],
    )


@login_required
@require_http_methods(["GET", "POST"])
def redeem(request: HttpRequest, reward_id: int) -> HttpResponse:
    """GET: what the member is about to spend (and, for a physical reward, how they want it),
    and a confirm button. POST: redeem it."""
    member, response = _member_or_redirect(request)
    if response:
        return response
    reward = reward_get_for_member(member=member, reward_id=reward_id)
    summary = points_summary(member=member)
    form = RedeemForm(request.POST or None, initial=_redeem_initial(member, reward))
    if request.method == "POST" and form.is_valid():
        try:
            redemption = reward_redeem(
                member=member,
                reward=reward,
                idempotency_key=f"portal:{form.cleaned_data['key']}",
                actor=request.user,
                delivery=_delivery_from(form, reward),
            )
        except ValidationError as error:
            messages.error(request, error.messages[0])
        else:
            messages.success(
                request,
                _("Done! Your code is %(code)s. We have sent it to you by e-mail too.")
                % {"code": redemption.voucher_code},
            )
            return redirect("rewards:vouchers")
    return render(
        request,
        "rewards/redeem.html",
        {
            "reward": reward,
            "summary": summary,
            "form": form,
            "balance_after": summary.balance - reward.points_cost,
        },
    )


@login_required
@require_GET
def vouchers(request: HttpRequest) -> HttpResponse:
    member, response = _member_or_redirect(request)
    if response:
        return response
    page = Paginator(redemption_list_for_member(member=member), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(request, "rewards/vouchers.html", {"page": page})


@login_required
@require_GET
def earn(request: HttpRequest) -> HttpResponse:
    """How to earn points, generated from the rules in force (rewards.selectors.earning_guide)."""
    member, response = _member_or_redirect(request)
    if response:
        return response
    return render(request, "rewards/earn.html", {"guide": earning_guide(member=member)})
