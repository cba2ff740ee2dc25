"""The suggestions board in the portal: everyone logged in reads and votes, members propose and
comment. Every change is a POST through the services."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from feedback.forms import CommentForm, SuggestionFilterForm, SuggestionForm, add_service_errors
from feedback.selectors.suggestions import (
    suggestion_comments,
    suggestion_get_for_member,
    suggestion_list,
)
from feedback.services.suggestions import (
    suggestion_comment,
    suggestion_create,
    suggestion_unvote,
    suggestion_vote,
)
from members.selectors.profiles import member_for_login

PAGE_SIZE = 20


@login_required
@require_GET
def board(request: HttpRequest) -> HttpResponse:
    member = member_for_login(user=request.user)
    form = SuggestionFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    suggestions = suggestion_list(
        member=member,
        sort=filters.get("sort") or "trending",
        status=filters.get("status") or "",
        topic=filters.get("topic") or "",
        search=(filters.get("q") or "").strip(),
    )
    page = Paginator(suggestions, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "feedback/suggestions.html",
        {
            "page": page,
            "form": form,
            "sort": filters.get("sort") or "trending",
            "query": query.urlencode(),
            "member": member,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def suggestion_new(request: HttpRequest) -> HttpResponse:
    member = member_for_login(user=request.user)
    if member is None:
        return redirect("members:profile")
    form = SuggestionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            suggestion = suggestion_create(member=member, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Thank you! Your idea is on the board."))
            return redirect("feedback:suggestion", suggestion.pk)
    return render(
        request, "feedback/suggestion_new.html", {"form": form}, status=400 if form.errors else 200
    )


@login_required
@require_GET
def suggestion_detail(request: HttpRequest, suggestion_id: int) -> HttpResponse:
    member = member_for_login(user=request.user)
    suggestion = suggestion_get_for_member(suggestion_id=suggestion_id, member=member)
    return render(
        request,
        "feedback/suggestion.html",
        {
            "suggestion": suggestion,
            "comments": suggestion_comments(suggestion=suggestion),
            "form": CommentForm(),
            "member": member,
        },
    )


@login_required
@require_POST
def suggestion_vote_view(request: HttpRequest, suggestion_id: int) -> HttpResponse:
    member = member_for_login(user=request.user)
    if member is None:
        return redirect("members:profile")
    suggestion = suggestion_get_for_member(suggestion_id=suggestion_id, member=member)
    try:
        if request.POST.get("action") == "unvote":
            suggestion_unvote(member=member, suggestion=suggestion)
            messages.success(request, _("Your vote is taken back."))
        else:
            suggestion_vote(member=member, suggestion=suggestion)
            messages.success(request, _("Thank you for your vote!"))
    except ValidationError as error:
        messages.error(request, error.messages[0])
    if request.POST.get("next"):
        return redirect(_safe_next(request))
    return redirect("feedback:suggestion", suggestion.pk)


def _safe_next(request: HttpRequest) -> str:
    from django.utils.http import url_has_allowed_host_and_scheme

    target = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return "/suggestions/"


@login_required
@require_POST
def suggestion_comment_view(request: HttpRequest, suggestion_id: int) -> HttpResponse:
    member = member_for_login(user=request.user)
    if member is None:
        return redirect("members:profile")
    suggestion = suggestion_get_for_member(suggestion_id=suggestion_id, member=member)
    form = CommentForm(request.POST)
    if form.is_valid():
        try:
            suggestion_comment(suggestion=suggestion, member=member, body=form.cleaned_data["body"])
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Your comment is posted."))
            return redirect("feedback:suggestion", suggestion.pk)
    return render(
        request,
        "feedback/suggestion.html",
        {
            "suggestion": suggestion,
            "comments": suggestion_comments(suggestion=suggestion),
            "form": form,
            "member": member,
        },
        status=400,
    )
