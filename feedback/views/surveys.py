"""The member's surveys in the portal, and the answer page that a personal link opens.

The answer page needs no login: the signed token in the link names the invitation. A logged-in
member who is not the invited one is refused; an answered invitation says thank you."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from feedback.forms import SurveyForm
from feedback.selectors.portal import portal_survey_get, surveys_for_member
from feedback.services.surveys import (
    survey_answer_submit,
    survey_draft_save,
    survey_invite,
    survey_questions,
)
from feedback.tokens import invitation_from_token, invitation_url
from members.selectors.profiles import member_for_login


def _language_chosen(request: HttpRequest) -> bool:
    return settings.LANGUAGE_COOKIE_NAME in request.COOKIES


@login_required
@require_GET
def surveys(request: HttpRequest) -> HttpResponse:
    member = member_for_login(user=request.user)
    if member is None:
        return redirect("members:profile")
    return render(request, "feedback/surveys.html", surveys_for_member(member=member))


@login_required
@require_POST
def survey_start(request: HttpRequest, survey_id: int) -> HttpResponse:
    member = member_for_login(user=request.user)
    if member is None:
        return redirect("members:profile")
    survey = portal_survey_get(survey_id=survey_id)
    invitation = survey_invite(survey=survey, member=member, occasion="portal", channel="portal")
    return redirect(invitation_url(invitation))


@require_http_methods(["GET", "POST"])
def answer(request: HttpRequest, token: str) -> HttpResponse:
    try:
        invitation = invitation_from_token(token)
    except ValidationError as exc:
        raise Http404(exc.messages[0]) from exc
    survey = invitation.survey
    user = request.user if request.user.is_authenticated else None
    if user is None and invitation.member is not None and not _language_chosen(request):
        # Opened from the e-mail: the member's language, until they pick one themselves.
        translation.activate(invitation.member.language)
        request.LANGUAGE_CODE = translation.get_language()
    if user is not None and invitation.member is not None and invitation.member.user_id != user.pk:
        return render(
            request,
            "feedback/answer_refused.html",
            {"message": _("This survey link was sent to another member.")},
            status=403,
        )
    if invitation.answered_at is not None:
        return render(request, "feedback/thanks.html", {"survey": survey, "already": True})
    if not survey.is_open():
        return render(
            request,
            "feedback/answer_refused.html",
            {"message": _("This survey is closed.")},
            status=410,
        )
    questions = survey_questions(survey)
    if request.method == "POST":
        form = SurveyForm(request.POST, questions=questions)
        form.is_valid()
        raw = form.raw_answers()
        try:
            if request.POST.get("action") == "save":
                survey_draft_save(invitation=invitation, raw=raw, user=user)
                messages.success(
                    request,
                    _("Your answers are saved. Open the same link to finish the survey."),
                )
                return redirect(request.path)
            survey_answer_submit(invitation=invitation, raw=raw, user=user)
        except ValidationError as error:
            if getattr(error, "code", None) == "already_answered":
                return render(request, "feedback/thanks.html", {"survey": survey, "already": True})
            form.add_service_errors(error)
        else:
            return render(request, "feedback/thanks.html", {"survey": survey})
    else:
        form = SurveyForm(questions=questions, initial_answers=invitation.draft)
    return render(
        request,
        "feedback/answer.html",
        {"survey": survey, "form": form, "resumed": bool(invitation.draft)},
        status=400 if form.errors else 200,
    )
