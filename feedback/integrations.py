"""What feedback adds to the club through the registries, so no lower app imports it:

- segment fields: NPS category (promoter/passive/detractor, latest answer within N days),
  answered a survey (within N days), has an open follow-up case;
- member 360 timeline: survey answers and follow-up cases;
- GDPR: answers (non-anonymous), cases, suggestions, votes, comments and conversations in the
  export; erasure keeps the figures and removes the person (see `feedback_erase`);
- the purchase hook (surveys after a purchase), a home card (a survey waiting), dashboard tiles
  (NPS trend, overdue cases), the portal navigation and the back-office groups.

`register()` is called once from FeedbackConfig.ready().
"""

from __future__ import annotations

import datetime
from typing import Any

from django.db.models import Exists, OuterRef, Q, Subquery
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.dashboard import Period, backoffice_model_register, dashboard_tile_register
from core.home import home_card_register
from core.navigation import portal_nav_register
from feedback.models import (
    Answer,
    Conversation,
    ConversationMessage,
    FollowUpCase,
    Invitation,
    Response,
    Suggestion,
    SuggestionComment,
    SuggestionVote,
)
from feedback.selectors.conversations import conversation_unread_answer, inbox_figures
from feedback.selectors.nps import cases_open, nps_summary, nps_trend
from feedback.selectors.portal import survey_to_answer_first
from feedback.selectors.suggestions import suggestions_top
from feedback.services.triggers import survey_after_purchase
from feedback.tokens import invitation_url
from members.gdpr import gdpr_eraser_register, gdpr_exporter_register, gdpr_model_covered
from members.hooks import purchase_recorded_register
from members.models import Member
from members.segments import BOOLEAN, CHOICE, SegmentField, segment_field_register
from members.timeline import TimelineEntry, admin_url, timeline_provider_register

FEEDBACK = _("Feedback")
NPS_CATEGORIES = [
    ("promoter", _("promoter (9–10)")),
    ("passive", _("passive (7–8)")),
    ("detractor", _("detractor (0–6)")),
]
_LATEST_Q = {
    "promoter": Q(latest_nps__gte=9),
    "passive": Q(latest_nps__in=[7, 8]),
    "detractor": Q(latest_nps__lte=6),
}


# --- Segment fields ------------------------------------------------------------------------------


def _since(params: dict[str, Any]) -> datetime.datetime | None:
    days = params.get("days")
    return params["now"] - datetime.timedelta(days=days) if days else None


def _nps_category(operator: str, value: Any, params: dict[str, Any]) -> Q:
    """By the member's latest NPS answer (within the window, if one is given)."""
    answers = Response.objects.filter(member=OuterRef("pk"), nps__isnull=False)
    since = _since(params)
    if since:
        answers = answers.filter(submitted_at__gte=since)
    latest = Subquery(answers.order_by("-submitted_at", "-pk").values("nps")[:1])
    wanted = Q()
    for category in value:
        wanted |= _LATEST_Q[category]
    ids = Member.objects.alias(latest_nps=latest).filter(wanted)
    q = Q(pk__in=ids.values("pk"))
    return q if operator == "in" else ~q


def _answered(operator: str, value: Any, params: dict[str, Any]) -> Q:
    responses = Response.objects.filter(member=OuterRef("pk"))
    since = _since(params)
    if since:
        responses = responses.filter(submitted_at__gte=since)
    q = Q(Exists(responses))
    return q if value else ~q


def _open_case(operator: str, value: Any, params: dict[str, Any]) -> Q:
    q = Q(Exists(FollowUpCase.objects.filter(member=OuterRef("pk"), status="open")))
    return q if value else ~q


def register_segment_fields() -> None:
    segment_field_register(
        SegmentField(
            "nps_category",
            _("NPS category"),
            FEEDBACK,
            CHOICE,
            _nps_category,
            choices=lambda: NPS_CATEGORIES,
            params={"days": int},
            help_text=_("From the member's latest NPS answer (within the last N days, if given)."),
        )
    )
    segment_field_register(
        SegmentField(
            "survey_answered",
            _("answered a survey"),
            FEEDBACK,
            BOOLEAN,
            _answered,
            params={"days": int},
        )
    )
    segment_field_register(
        SegmentField(
            "followup_case_open", _("has an open follow-up case"), FEEDBACK, BOOLEAN, _open_case
        )
    )


# --- Timeline ------------------------------------------------------------------------------------


def responses_timeline(*, member: Member, limit: int) -> list[TimelineEntry]:
    rows = (
        Response.objects.filter(member=member)
        .select_related("survey")
        .order_by("-submitted_at", "-pk")[:limit]
    )
    entries = []
    for response in rows:
        detail = ""
        if response.nps is not None:
            detail = _("NPS %(score)d") % {"score": response.nps}
        elif response.csat is not None:
            detail = _("Satisfaction %(score)d of 5") % {"score": response.csat}
        entries.append(
            TimelineEntry(
                at=response.submitted_at,
                kind="survey",
                title=_("Answered the survey “%(survey)s”") % {"survey": response.survey.title},
                detail=detail,
                url=admin_url("admin:feedback_response_change", response.pk),
            )
        )
    return entries


def cases_timeline(*, member: Member, limit: int) -> list[TimelineEntry]:
    rows = FollowUpCase.objects.filter(member=member).order_by("-created_at", "-pk")[:limit]
    return [
        TimelineEntry(
            at=case.closed_at or case.created_at,
            kind="case",
            title=(
                _("Follow-up case %(case)s closed") % {"case": case}
                if case.closed_at
                else _("Follow-up case %(case)s opened") % {"case": case}
            ),
            detail=case.note,
            url=admin_url("admin:feedback_followupcase_change", case.pk),
        )
        for case in rows
    ]


def suggestions_timeline(*, member: Member, limit: int) -> list[TimelineEntry]:
    rows = Suggestion.objects.filter(author=member).order_by("-created_at", "-pk")[:limit]
    return [
        TimelineEntry(
            at=s.created_at,
            kind="suggestion",
            title=_("Suggested “%(title)s”") % {"title": s.title},
            detail=s.get_status_display(),
            url=admin_url("admin:feedback_suggestion_change", s.pk),
        )
        for s in rows
    ]


def conversations_timeline(*, member: Member, limit: int) -> list[TimelineEntry]:
    rows = Conversation.objects.filter(member=member).order_by("-created_at", "-pk")[:limit]
    return [
        TimelineEntry(
            at=c.created_at,
            kind="conversation",
            title=(
                _("The club wrote: “%(subject)s”")
                if c.started_by_staff
                else _("Wrote to the club: “%(subject)s”")
            )
            % {"subject": c.subject},
            detail=c.get_status_display(),
            url=admin_url("admin:feedback_conversation_change", c.pk),
        )
        for c in rows
    ]


# --- GDPR ----------------------------------------------------------------------------------------


def answers_export(*, member: Member) -> list[dict[str, Any]]:
    rows = []
    answers = (
        Answer.objects.filter(response__member=member)
        .select_related("response__survey", "question")
        .order_by("response__submitted_at", "question__order")
    )
    for answer in answers:
        question = answer.question
        if question.kind in ("single",) and answer.number:
            value: Any = (question.choices[answer.number - 1 : answer.number] or [""])[0]
        elif question.kind == "multiple":
            value = "; ".join(
                question.choices[i - 1] for i in answer.choices if 0 < i <= len(question.choices)
            )
        elif question.kind == "text":
            value = answer.text
        else:
            value = answer.number
        rows.append(
            {
                "submitted_at": answer.response.submitted_at.isoformat(),
                "survey": answer.response.survey.title,
                "question": question.text,
                "answer": value,
            }
        )
    return rows


def cases_export(*, member: Member) -> list[dict[str, Any]]:
    return [
        {
            "opened_at": case.created_at.isoformat(),
            "reason": str(case.get_reason_display()),
            "status": str(case.get_status_display()),
            "closed_at": case.closed_at.isoformat() if case.closed_at else "",
            "what_was_done": case.note,
        }
        for case in FollowUpCase.objects.filter(member=member).order_by("created_at")
    ]


def suggestions_export(*, member: Member) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = [
        {
            "what": "suggestion",
            "when": s.created_at.isoformat(),
            "suggestion": s.title,
            "text": s.body,
            "status": str(s.get_status_display()),
        }
        for s in Suggestion.objects.filter(author=member).order_by("created_at")
    ]
    rows += [
        {
            "what": "vote",
            "when": v.created_at.isoformat(),
            "suggestion": v.suggestion.title,
            "text": "",
            "status": "",
        }
        for v in SuggestionVote.objects.filter(member=member).select_related("suggestion")
    ]
    rows += [
        {
            "what": "comment",
            "when": c.created_at.isoformat(),
            "suggestion": c.suggestion.title,
            "text": c.body,
            "status": "",
        }
        for c in SuggestionComment.objects.filter(author=member).select_related("suggestion")
    ]
    return rows


def conversations_export(*, member: Member) -> list[dict[str, Any]]:
    messages = ConversationMessage.objects.filter(conversation__member=member).select_related(
        "conversation"
    )
    return [
        {
            "conversation": m.conversation.subject,
            "when": m.created_at.isoformat(),
            "from": "club" if m.from_staff else "member",
            "message": m.body,
            "attachment": m.attachment_name,
        }
        for m in messages.order_by("conversation_id", "created_at")
    ]


def feedback_erase(*, member: Member) -> None:
    """Keep the figures (scores, counts, votes, dates, response times), remove the person: the
    member link, what they wrote in their own words (answers' free text, conversations), and
    unfinished drafts. Their suggestions and comments stay on the board without their name, so
    the discussion keeps its sense."""
    Answer.objects.filter(response__member=member).exclude(text="").update(text="")
    Response.objects.filter(member=member).update(member=None, invitation=None)
    FollowUpCase.objects.filter(member=member).update(member=None)
    Invitation.objects.filter(member=member).update(member=None, draft={})
    SuggestionVote.objects.filter(member=member).update(member=None)
    Suggestion.objects.filter(author=member).update(author=None)
    SuggestionComment.objects.filter(author=member).update(author=None)
    for message in ConversationMessage.objects.filter(conversation__member=member).exclude(
        attachment=""
    ):
        message.attachment.delete(save=False)
    ConversationMessage.objects.filter(conversation__member=member).delete()
    Conversation.objects.filter(member=member).update(member=None, subject="—")


# --- Home and dashboard --------------------------------------------------------------------------


def survey_home_card(request, member) -> dict[str, Any] | None:
    invitation = survey_to_answer_first(member=member)
    if invitation is None:
        return None
    return {"invitation": invitation, "url": invitation_url(invitation)}


def answer_home_card(request, member) -> dict[str, Any] | None:
    conversation = conversation_unread_answer(member=member)
    if conversation is None:
        return None
    return {
        "conversation": conversation,
        "url": reverse("feedback:conversation", args=[conversation.pk]),
    }


def suggestions_tile(request, period: Period) -> dict[str, Any] | None:
    top = suggestions_top(limit=5)
    new = Suggestion.objects.filter(created_at__gte=period.start, created_at__lt=period.end)
    url = reverse("admin:feedback_suggestion_changelist")
    return {
        "figures": [
            {"label": _("New suggestions"), "value": new.count(), "url": url + "?status__exact=new"}
        ],
        "rows": [
            {
                "label": s.title,
                "value": str(s.votes),
                "url": reverse("admin:feedback_suggestion_change", args=[s.pk]),
            }
            for s in top
        ],
        "note": _("The most voted open suggestions."),
    }


def inbox_tile(request, period: Period) -> dict[str, Any] | None:
    figures = inbox_figures(since=period.start)
    url = reverse("admin:feedback_conversation_changelist")
    hours = figures["first_response_hours"]
    return {
        "figures": [
            {
                "label": _("Waiting for an answer"),
                "value": inbox_figures()["open"],
                "url": url + "?status__exact=open",
            },
            {
                "label": _("Average time to first answer"),
                "value": hours,
                "display": _("%(h)s h") % {"h": hours} if hours is not None else "—",
                "url": url,
            },
        ]
    }


def nps_tile(request, period: Period) -> dict[str, Any] | None:
    since = period.start - datetime.timedelta(days=365)
    trend = nps_trend(since=since, until=period.end)
    current = nps_summary(since=period.start, until=period.end)
    score = current.score
    return {
        "figures": [
            {
                "label": _("NPS"),
                "value": round(score) if score is not None else None,
                "display": f"{round(score):+d}" if score is not None else "—",
                "url": reverse("admin:feedback_response_changelist"),
                "hint": _("%(n)d answers, ±%(m)d")
                % {"n": current.answered, "m": round(current.margin or 0)},
            }
        ],
        "chart": {
            "type": "line",
            "labels": [p.label for p in trend],
            "series": [
                {
                    "name": _("NPS"),
                    "values": [
                        round(p.nps.score) if p.nps.score is not None else None for p in trend
                    ],
                }
            ],
        },
    }


def cases_tile(request, period: Period) -> dict[str, Any] | None:
    now = timezone.now()
    open_cases = cases_open()
    counts = {
        "open": open_cases.count(),
        "overdue": open_cases.filter(due_at__lt=now).count(),
    }
    url = reverse("admin:feedback_followupcase_changelist")
    return {
        "figures": [
            {
                "label": _("Open follow-up cases"),
                "value": counts["open"],
                "url": url + "?status=open",
            },
            {
                "label": _("Overdue"),
                "value": counts["overdue"],
                "url": url + "?overdue=yes",
            },
        ]
    }


# How erasing a member treats each feedback model (members.gdpr; checked by a model walk).
GDPR_COVERAGE = {
    "feedback.Survey": "the survey itself: titles and questions, no member's data",
    "feedback.Question": "a question and the choices that show it, no member's data",
    "feedback.Invitation": "feedback_erase unlinks the member and drops unfinished answers",
    "feedback.Response": "feedback_erase unlinks the member and the invitation; scores, tier "
    "and dates stay as figures",
    "feedback.Answer": "feedback_erase blanks free-text answers; numbers and choices stay",
    "feedback.FollowUpCase": "feedback_erase unlinks the member; the owner and closer are staff",
    "feedback.CaseRoute": "which staff member owns a store's cases, no member's data",
    "feedback.Suggestion": "feedback_erase unlinks the author; the idea stays on the board "
    "without a name; the answerer is staff",
    "feedback.SuggestionVote": "feedback_erase unlinks the member; the vote still counts",
    "feedback.SuggestionComment": "feedback_erase unlinks the author; the comment stays without "
    "a name; staff authors are staff",
    "feedback.Conversation": "feedback_erase unlinks the member and blanks the subject; times "
    "stay as figures; the assignee is staff",
    "feedback.ConversationMessage": "feedback_erase deletes the member's messages and their "
    "attachments",
}


def register() -> None:
    for label, how in GDPR_COVERAGE.items():
        gdpr_model_covered(label, how)
    register_segment_fields()
    timeline_provider_register(responses_timeline)
    timeline_provider_register(cases_timeline)
    gdpr_exporter_register(
        "survey_answers",
        answers_export,
        _("your answers to the club's surveys (not anonymous ones): when, which question, what."),
    )
    gdpr_exporter_register(
        "followup_cases",
        cases_export,
        _("the follow-ups the club opened after your answers, and what was done."),
    )
    timeline_provider_register(suggestions_timeline)
    timeline_provider_register(conversations_timeline)
    gdpr_exporter_register(
        "suggestions",
        suggestions_export,
        _("the ideas you suggested, voted for and commented on."),
    )
    gdpr_exporter_register(
        "conversations",
        conversations_export,
        _("your messages with the club and its answers."),
    )
    gdpr_eraser_register(feedback_erase)
    purchase_recorded_register(survey_after_purchase)
    portal_nav_register(label=_("Surveys"), url_name="feedback:surveys", order=70)
    portal_nav_register(label=_("Suggestions"), url_name="feedback:suggestions", order=71)
    portal_nav_register(label=_("Contact"), url_name="feedback:contact", order=90)
    home_card_register(
        key="feedback.answer",
        template="feedback/home_card_answer.html",
        context=answer_home_card,
        order=55,
    )
    home_card_register(
        key="feedback.survey",
        template="feedback/home_card.html",
        context=survey_home_card,
        order=60,
    )
    dashboard_tile_register(
        key="feedback.nps",
        title=_("NPS trend"),
        group="communication",
        data=nps_tile,
        permission="feedback.view_response",
        order=50,
    )
    dashboard_tile_register(
        key="feedback.cases",
        title=_("Follow-up cases"),
        group="communication",
        data=cases_tile,
        permission="feedback.view_response",  # marketers and club admins (store staff: the till)
        order=51,
    )
    dashboard_tile_register(
        key="feedback.suggestions",
        title=_("Top suggestions"),
        group="communication",
        data=suggestions_tile,
        permission="feedback.view_suggestion",
        order=52,
    )
    dashboard_tile_register(
        key="feedback.inbox",
        title=_("Member conversations"),
        group="communication",
        data=inbox_tile,
        permission="feedback.view_survey",  # marketers and club admins (store staff: the till)
        order=53,
    )
    for model in (
        "Survey",
        "Response",
        "FollowUpCase",
        "CaseRoute",
        "Suggestion",
        "Conversation",
        "SavedReply",
    ):
        backoffice_model_register(model=f"feedback.{model}", group="communication", order=50)
