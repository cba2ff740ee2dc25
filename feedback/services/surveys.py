"""Survey invitations and answers: the one write path for both.

`survey_invite` makes (once per survey, member and occasion) the personal invitation and, for
e-mail, writes the invitation e-mail to the outbox in the same transaction.

`survey_answer_submit` stores a whole answer in one transaction:
1. lock the invitation row; refuse if it was answered already, the survey is closed, or the
   login using the link is another member's;
2. check every answer against its question (range, choices, required, shown by its condition),
   refusing with the question named, before anything is written;
3. store the response and its answers, mark the invitation answered (a conditional UPDATE, so
   two submissions at the same moment store one), open a follow-up case for a detractor or a
   low satisfaction score (one per response, unique), and earn the survey's points once.
For an anonymous survey the response keeps no link to the member or the invitation, and its time
is kept to the day, so the two cannot be joined again.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.email import email_send_later
from feedback.models import Answer, Invitation, Question, Response, Survey
from feedback.tokens import invitation_url
from members.models import ConsentPurpose, Member
from members.selectors.consent import consent_current
from rewards.selectors.ledger import points_summary
from rewards.services.activities import points_earn_for_activity

from .cases import case_open_for

MAX_TEXT = 5000


@transaction.atomic
def survey_invite(
    *,
    survey: Survey,
    member: Member,
    occasion: str,
    channel: str = Invitation.Channel.EMAIL,
    store=None,
) -> Invitation:
    """The member's invitation for this occasion, made once; e-mailed when new and by e-mail."""
    invitation, created = Invitation.objects.get_or_create(
        survey=survey,
        member=member,
        occasion=occasion[:80],
        defaults={"channel": channel, "store": store or member.preferred_store},
    )
    if created and channel in (Invitation.Channel.EMAIL, Invitation.Channel.TRIGGER):
        _invitation_email(invitation)
    return invitation


def _invitation_email(invitation: Invitation) -> None:
    member = invitation.member
    if member is None or not member.email or member.erased_at is not None:
        return
    if invitation.channel == Invitation.Channel.TRIGGER and not consent_current(member=member).get(
        ConsentPurpose.EMAIL_MARKETING
    ):
        return  # sent by itself: only with e-mail consent (the portal still shows it)
    with translation.override(member.language):
        context = {
            "member": member,
            "survey": invitation.survey,
            "url": settings.SITE_URL.rstrip("/") + invitation_url(invitation),
            "CLUB_NAME": settings.CLUB_NAME,
        }
        message = EmailMultiAlternatives(
            subject=gettext("%(club)s would like to hear from you: %(survey)s")
            % {"club": settings.CLUB_NAME, "survey": invitation.survey.title},
            body=render_to_string("feedback/email/invitation.txt", context),
            to=[member.email],
        )
        message.attach_alternative(
            render_to_string("feedback/email/invitation.html", context), "text/html"
        )
    email_send_later(message)


# --- Answers ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class CleanAnswer:
    question: Question
    number: int | None = None
    choices: tuple[int, ...] = ()
    text: str = ""

    @property
    def value(self) -> Any:
        if self.question.kind == Question.Kind.MULTIPLE:
            return list(self.choices)
        if self.question.kind == Question.Kind.TEXT:
            return self.text
        return self.number


def _refuse(question: Question, message, code: str) -> ValidationError:
    return ValidationError(
        {f"q{question.pk}": ValidationError(message, code=code)},
    )


def _empty(raw: Any) -> bool:
    return raw is None or raw == "" or raw == [] or (isinstance(raw, str) and not raw.strip())


def _as_int(question: Question, raw: Any) -> int:
    if isinstance(raw, bool):
        raise _refuse(question, _("Choose one of the answers."), "invalid")
    try:
        return int(str(raw).strip())
    except (TypeError, ValueError):
        raise _refuse(question, _("Choose one of the answers."), "invalid") from None


def _clean_one(question: Question, raw: Any) -> CleanAnswer:
    kind = question.kind
    if question.is_numeric:
        number = _as_int(question, raw)
        low, high = Question.RANGES[kind]
        if not low <= number <= high:
            raise _refuse(
                question,
                _("Answer with a number from %(low)d to %(high)d.") % {"low": low, "high": high},
                "out_of_range",
            )
        return CleanAnswer(question, number=number)
    if kind in (Question.Kind.SINGLE, Question.Kind.MULTIPLE):
        values = raw if isinstance(raw, list | tuple) else [raw]
        count = len(question.choices)
        picked = sorted({_as_int(question, v) for v in values})
        if any(not 1 <= v <= count for v in picked) or (
            kind == Question.Kind.SINGLE and len(picked) != 1
        ):
            raise _refuse(question, _("Choose one of the answers."), "invalid")
        if kind == Question.Kind.SINGLE:
            return CleanAnswer(question, number=picked[0])
        return CleanAnswer(question, choices=tuple(picked))
    if not isinstance(raw, str):
        raise _refuse(question, _("Write your answer as text."), "invalid")
    text = raw.replace("\x00", "").strip()
    if len(text) > MAX_TEXT:
        raise _refuse(
            question,
            _("Keep your answer under %(max)d characters (it has %(count)d).")
            % {"max": MAX_TEXT, "count": len(text)},
            "too_long",
        )
    return CleanAnswer(question, text=text)


def answers_clean(
    *, questions: list[Question], raw: dict[int, Any], partial: bool = False
) -> list[CleanAnswer]:
    """Check raw answers ({question id: value}) against the questions in order. A question
    hidden by its condition must not be answered; a required shown one must (unless `partial`,
    for saving a draft). Every refusal names its question (key `q<id>`)."""
    known = {q.pk for q in questions}
    unknown = [key for key in raw if key not in known]
    if unknown:
        raise ValidationError(
            _("These answers are to questions not in this survey: %(ids)s")
            % {"ids": ", ".join(str(k) for k in unknown)},
            code="unknown_question",
        )
    cleaned: list[CleanAnswer] = []
    values: dict[int, Any] = {}
    errors: dict[str, list] = {}
    for question in questions:
        given = raw.get(question.pk)
        if not question.shown_for(values):
            if not _empty(given):
                errors[f"q{question.pk}"] = [
                    ValidationError(
                        _("“%(question)s” is not asked for your earlier answer; leave it empty.")
                        % {"question": question.text},
                        code="hidden",
                    )
                ]
            continue
        if _empty(given):
            if question.required and not partial:
                errors[f"q{question.pk}"] = [
                    ValidationError(
                        _("“%(question)s” needs an answer.") % {"question": question.text},
                        code="required",
                    )
                ]
            continue
        try:
            answer = _clean_one(question, given)
        except ValidationError as exc:
            for key, messages in exc.message_dict.items():
                errors[key] = [
                    ValidationError(
                        f"“{question.text}”: {m}",
                        code="invalid",
                    )
                    for m in messages
                ]
            continue
        cleaned.append(answer)
        values[question.pk] = answer.value
    if errors:
        raise ValidationError(errors)
    return cleaned


def _check_can_answer(*, invitation: Invitation, user, now: datetime.datetime) -> None:
    if invitation.answered_at is not None:
        raise ValidationError(
            _("You have already answered this survey. Thank you!"), code="already_answered"
        )
    if not invitation.survey.is_open(now):
        raise ValidationError(_("This survey is closed."), code="closed")
    if invitation.member is None:
        raise ValidationError(_("This survey link is no longer valid."), code="bad_token")
    if user is not None and user.is_authenticated and invitation.member.user_id != user.pk:
        raise ValidationError(_("This survey link was sent to another member."), code="not_yours")


def survey_questions(survey: Survey) -> list[Question]:
    return list(survey.questions.order_by("order", "pk"))


@transaction.atomic
def survey_draft_save(*, invitation: Invitation, raw: dict[int, Any], user=None) -> None:
    """Keep unfinished answers on the invitation, to be resumed from the same link."""
    now = timezone.now()
    locked = Invitation.objects.select_for_update(of=("self",)).select_related("survey", "member")
    invitation = locked.get(pk=invitation.pk)
    _check_can_answer(invitation=invitation, user=user, now=now)
    cleaned = answers_clean(questions=survey_questions(invitation.survey), raw=raw, partial=True)
    invitation.draft = {str(a.question.pk): a.value for a in cleaned}
    invitation.save(update_fields=["draft"])


def _tier_name(member: Member) -> str:
    tier = points_summary(member=member).tier
    if tier is None:
        return ""
    with translation.override(settings.LANGUAGE_CODE):
        return str(tier.name)


@transaction.atomic
def survey_answer_submit(
    *, invitation: Invitation, raw: dict[int, Any], user=None, now: datetime.datetime | None = None
) -> Response:
    now = now or timezone.now()
    locked = Invitation.objects.select_for_update(of=("self",)).select_related("survey", "member")
    invitation = locked.get(pk=invitation.pk)
    _check_can_answer(invitation=invitation, user=user, now=now)
    survey = invitation.survey
    member = invitation.member
    assert member is not None  # checked above
    cleaned = answers_clean(questions=survey_questions(survey), raw=raw)

    moment = now
    if survey.anonymous:
        moment = now.replace(hour=0, minute=0, second=0, microsecond=0)
    marked = Invitation.objects.filter(pk=invitation.pk, answered_at__isnull=True).update(
        answered_at=moment, draft={}
    )
    if not marked:  # unreachable under the row lock; kept as the database's last word
        raise ValidationError(_("You have already answered this survey. Thank you!"))

    by_kind = {a.question.kind: a.number for a in cleaned if a.question.is_numeric}
    response = Response.objects.create(
        survey=survey,
        invitation=None if survey.anonymous else invitation,
        member=None if survey.anonymous else member,
        submitted_at=moment,
        month=Response.month_of(moment),
        nps=by_kind.get(Question.Kind.NPS),
        csat=by_kind.get(Question.Kind.CSAT),
        tier=_tier_name(member),
        store=None if survey.anonymous else (invitation.store or member.preferred_store),
        channel=invitation.channel,
    )
    Answer.objects.bulk_create(
        Answer(
            response=response,
            question=a.question,
            number=a.number,
            choices=list(a.choices),
            text=a.text,
        )
        for a in cleaned
    )
    if not survey.anonymous:
        case_open_for(response=response, now=now)
    if survey.earns_points:
        points_earn_for_activity(
            member=member, activity="survey_answered", cause_key=f"survey:{survey.pk}", when=now
        )
    return response
