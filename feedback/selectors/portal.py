"""What a member sees of surveys in the portal."""

from __future__ import annotations

from django.db.models import Q
from django.http import Http404
from django.utils import timezone

from feedback.models import Invitation, Survey
from feedback.tokens import invitation_token
from members.models import Member


def _open_surveys(now):
    return Survey.objects.filter(status=Survey.Status.OPEN).filter(
        Q(closes_at__isnull=True) | Q(closes_at__gt=now)
    )


def surveys_for_member(*, member: Member) -> dict:
    """Open invitations to answer, and open portal surveys not yet started: two queries."""
    now = timezone.now()
    invitations = list(
        Invitation.objects.filter(
            member=member, answered_at__isnull=True, survey__in=_open_surveys(now)
        )
        .select_related("survey")
        .order_by("-created_at")
    )
    for invitation in invitations:
        invitation.token = invitation_token(invitation)  # type: ignore[attr-defined]
    started = Invitation.objects.filter(member=member, occasion="portal").values("survey_id")
    portal = list(_open_surveys(now).filter(in_portal=True).exclude(pk__in=started))
    return {"invitations": invitations, "portal_surveys": portal}


def portal_survey_get(*, survey_id: int) -> Survey:
    survey = _open_surveys(timezone.now()).filter(in_portal=True, pk=survey_id).first()
    if survey is None:
        raise Http404("No such survey.")
    return survey


def survey_to_answer_first(*, member: Member) -> Invitation | None:
    """The newest open invitation, for the home card (one query)."""
    now = timezone.now()
    return (
        Invitation.objects.filter(
            member=member, answered_at__isnull=True, survey__in=_open_surveys(now)
        )
        .select_related("survey")
        .order_by("-created_at")
        .first()
    )
