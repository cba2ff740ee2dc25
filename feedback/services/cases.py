"""Follow-up cases: the closed loop after a detractor (NPS 0–6) or a low satisfaction (1–2).

- `case_open_for(response=...)` opens at most one case per response (a unique key: a second
  call, or a second submission racing the first, finds the first), owned by the rule for the
  member's store (CaseRoute), else by nobody until assigned, due after FEEDBACK_CASE_SLA_HOURS.
- `cases_escalate_overdue()` e-mails the club admins about each open case past its due time,
  once (a conditional UPDATE claims it).
- `case_close(...)` needs a note of what was done; it may send the member the survey's
  "did we fix it?" survey.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.email import email_send_later
from core.services import audit_log
from feedback.models import CaseRoute, FollowUpCase, Invitation, Response

DETRACTOR_MAX = 6
LOW_CSAT_MAX = 2


def case_reason(response: Response) -> str | None:
    if response.nps is not None and response.nps <= DETRACTOR_MAX:
        return FollowUpCase.Reason.DETRACTOR
    if response.csat is not None and response.csat <= LOW_CSAT_MAX:
        return FollowUpCase.Reason.LOW_CSAT
    return None


def case_open_for(*, response: Response, now: datetime.datetime | None = None):
    reason = case_reason(response)
    if reason is None or response.member_id is None:
        return None
    now = now or timezone.now()
    route = (
        CaseRoute.objects.filter(store_id=response.store_id).first() if response.store_id else None
    )
    try:
        with transaction.atomic():
            return FollowUpCase.objects.create(
                response=response,
                member_id=response.member_id,
                reason=reason,
                owner_id=route.owner_id if route else None,
                created_at=now,
                due_at=now + datetime.timedelta(hours=settings.FEEDBACK_CASE_SLA_HOURS),
            )
    except IntegrityError:
        return FollowUpCase.objects.get(response=response)


@transaction.atomic
def case_assign(*, case: FollowUpCase, owner, actor) -> FollowUpCase:
    case = FollowUpCase.objects.select_for_update().get(pk=case.pk)
    case.owner = owner
    case.save(update_fields=["owner"])
    audit_log(action="feedback.case_assign", actor=actor, target=case, details={"owner": owner.pk})
    return case


@transaction.atomic
def case_close(
    *, case: FollowUpCase, actor, note: str, resurvey: bool = False, now=None
) -> FollowUpCase:
    from .surveys import survey_invite

    now = now or timezone.now()
    case = (
        FollowUpCase.objects.select_for_update().select_related("response__survey").get(pk=case.pk)
    )
    if case.status == FollowUpCase.Status.CLOSED:
        raise ValidationError(_("This case is already closed."), code="closed")
    note = (note or "").strip()
    if not note:
        raise ValidationError({"note": _("Say what was done before closing the case.")})
    case.status = FollowUpCase.Status.CLOSED
    case.closed_at = now
    case.closed_by = actor
    case.note = note
    fields = ["status", "closed_at", "closed_by", "note"]
    follow_up = case.response.survey.resurvey
    if resurvey:
        if follow_up is None or not follow_up.is_open(now):
            raise ValidationError(
                {"resurvey": _("This survey has no open 'did we fix it?' survey to send.")}
            )
        if case.member is None:
            raise ValidationError({"resurvey": _("The member is no longer in the club.")})
        survey_invite(
            survey=follow_up,
            member=case.member,
            occasion=f"case:{case.pk}",
            channel=Invitation.Channel.EMAIL,
        )
        case.resurvey_sent = True
        fields.append("resurvey_sent")
    case.save(update_fields=fields)
    audit_log(
        action="feedback.case_close", actor=actor, target=case, details={"resurvey": resurvey}
    )
    return case


def cases_escalate_overdue(*, now: datetime.datetime | None = None) -> int:
    """E-mail the club admins about each open case past due, once; returns how many."""
    now = now or timezone.now()
    admins = list(
        get_user_model()
        .objects.filter(is_active=True, is_staff=True)
        .filter(groups__name="club admin")
        .exclude(email="")
        .values_list("email", "language")
        .distinct()
    )
    escalated = 0
    due = FollowUpCase.objects.filter(
        status=FollowUpCase.Status.OPEN, due_at__lt=now, escalated_at__isnull=True
    ).order_by("due_at")
    for case_id in list(due.values_list("pk", flat=True)[:500]):
        with transaction.atomic():
            claimed = FollowUpCase.objects.filter(pk=case_id, escalated_at__isnull=True).update(
                escalated_at=now
            )
            if not claimed:
                continue
            escalated += 1
            for email, language in admins:
                with translation.override(language or settings.LANGUAGE_CODE):
                    url = settings.SITE_URL.rstrip("/") + reverse(
                        "admin:feedback_followupcase_change", args=[case_id]
                    )
                    email_send_later(
                        EmailMessage(
                            subject=gettext("Follow-up case #%(id)d is overdue") % {"id": case_id},
                            body=gettext(
                                "Follow-up case #%(id)d has passed its due time without being "
                                "closed. Please see that it is handled:\n\n%(url)s\n"
                            )
                            % {"id": case_id, "url": url},
                            to=[email],
                        )
                    )
    return escalated
