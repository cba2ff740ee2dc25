"""A campaign's life: schedule, start (snapshot and outbox in one transaction), pause, resume,
cancel. Only staff with `campaigns.send_campaign` (the marketer and club-admin roles) may
schedule, pause, resume or cancel, and each of these is written to the audit log.

Refusals are ValidationError with a code and a message for staff: no segment or an empty one,
no variant or broken content, shares that do not add up, a time in the past, or a change the
campaign's state does not allow (a campaign that is sending is paused before anything changes).
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from campaigns.models import Campaign, Message, Variant
from campaigns.services.content import variant_check
from campaigns.services.outbox import outbox_build
from core.services import audit_log
from members.selectors.segments import segment_count
from members.services.segments import segment_snapshot_create

SEND_PERMISSION = "campaigns.send_campaign"


def _require_send(actor) -> None:
    if actor is None or not actor.has_perm(SEND_PERMISSION):
        raise PermissionDenied(_("Only marketers and club admins may schedule campaigns."))


def campaign_check(*, campaign: Campaign, now: datetime.datetime | None = None) -> None:
    """Everything that must hold before a campaign may be scheduled; ValidationError if not."""
    now = now or timezone.now()
    segment = campaign.segment
    if segment is None:
        raise ValidationError(_("Choose the segment to send to."), code="no_segment")
    if segment_count(rules=segment.rules, now=now) == 0:
        raise ValidationError(
            _("The segment “%(name)s” has no members: nobody would get this campaign.")
            % {"name": segment.name},
            code="empty_segment",
        )
    variants = list(campaign.variants.all())
    if not variants:
        raise ValidationError(_("Write at least one variant."), code="no_variant")
    total = sum((Decimal(v.share) for v in variants), Decimal(0))
    if abs(total - 1) > Decimal("0.001"):
        raise ValidationError(
            _("The variants' shares add up to %(total)s; they must add up to 1.")
            % {"total": total},
            code="shares",
        )
    for variant in variants:
        variant_check(variant=variant, channel=campaign.channel)
    if campaign.schedule in (Campaign.Schedule.AT, Campaign.Schedule.RECURRING):
        if campaign.send_at is None:
            raise ValidationError(_("Choose when to send."), code="no_time")
        if campaign.send_at <= now:
            raise ValidationError(
                _("The sending time has passed; choose a time in the future."), code="past"
            )
    if campaign.test_share and len(variants) < 2:
        raise ValidationError(
            _("Test mode needs at least two variants to compare."), code="test_variants"
        )
    if campaign.schedule == Campaign.Schedule.RECURRING and not campaign.recur_every_days:
        raise ValidationError(_("Choose how often the campaign repeats."), code="no_interval")


def campaign_check_editable(*, campaign: Campaign) -> None:
    if not campaign.is_editable:
        raise ValidationError(
            _("A campaign that is %(state)s cannot be edited; pause or copy it first.")
            % {"state": campaign.get_state_display().lower()},
            code="not_editable",
        )


@transaction.atomic
def campaign_schedule(
    *,
    campaign: Campaign,
    actor,
    request: HttpRequest | None = None,
    now: datetime.datetime | None = None,
) -> Campaign:
    """Draft → scheduled (sent at `send_at`, or at once for "now")."""
    _require_send(actor)
    now = now or timezone.now()
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    if campaign.state != Campaign.State.DRAFT:
        raise ValidationError(
            _("Only a draft can be scheduled; this campaign is %(state)s.")
            % {"state": campaign.get_state_display().lower()},
            code="state",
        )
    campaign_check(campaign=campaign, now=now)
    if campaign.schedule == Campaign.Schedule.NOW:
        campaign.send_at = now
    campaign.state = Campaign.State.SCHEDULED
    campaign.state_note = ""
    campaign.save(update_fields=["state", "send_at", "state_note"])
    audit_log(
        action="campaign.schedule",
        actor=actor,
        target=campaign,
        request=request,
        details={
            "send_at": campaign.send_at.isoformat() if campaign.send_at else None,
            "schedule": campaign.schedule,
        },
    )
    if campaign.schedule == Campaign.Schedule.NOW:
        _after_commit_start(campaign.pk)
    return campaign


def _after_commit_start(campaign_id: int) -> None:
    from campaigns.services.dispatch import start_later

    transaction.on_commit(lambda: start_later(campaign_id))


def _after_commit_send(campaign_id: int) -> None:
    from campaigns.services.dispatch import send_later

    transaction.on_commit(lambda: send_later(campaign_id))


def _clone_next(campaign: Campaign) -> Campaign:
    """The next run of a recurring campaign: a scheduled copy with the same variants."""
    assert campaign.send_at is not None and campaign.recur_every_days
    clone = Campaign.objects.create(
        name=campaign.name,
        purpose=campaign.purpose,
        goal_kind=campaign.goal_kind,
        goal_window_days=campaign.goal_window_days,
        segment=campaign.segment,
        channel=campaign.channel,
        holdout_share=campaign.holdout_share,
        test_share=campaign.test_share,
        test_hours=campaign.test_hours,
        test_metric=campaign.test_metric,
        schedule=Campaign.Schedule.RECURRING,
        send_at=campaign.send_at + datetime.timedelta(days=campaign.recur_every_days),
        recur_every_days=campaign.recur_every_days,
        state=Campaign.State.SCHEDULED,
        created_by=campaign.created_by,
    )
    Variant.objects.bulk_create(
        [
            Variant(
                campaign=clone,
                **{
                    f.name: getattr(variant, f.name)
                    for f in Variant._meta.concrete_fields
                    if f.name not in ("id", "campaign")
                },
            )
            for variant in campaign.variants.all()
        ]
    )
    return clone


@transaction.atomic
def campaign_start(*, campaign_id: int, now: datetime.datetime | None = None) -> bool:
    """Scheduled and due → sending: freeze the segment and build the outbox, in one transaction.
    False (nothing done) when the campaign is not scheduled or not due; safe to run twice."""
    now = now or timezone.now()
    started = Campaign.objects.filter(
        pk=campaign_id, state=Campaign.State.SCHEDULED, send_at__lte=now
    ).update(state=Campaign.State.SENDING, started_at=now)
    if not started:
        return False
    campaign = Campaign.objects.select_related("segment").get(pk=campaign_id)
    if campaign.segment is None:
        campaign.state = Campaign.State.CANCELLED
        campaign.state_note = str(_("No segment to send to."))
        campaign.save(update_fields=["state", "state_note"])
        return False
    campaign.snapshot = segment_snapshot_create(segment=campaign.segment, now=now)
    campaign.save(update_fields=["snapshot"])
    campaign.targeted_count = outbox_build(campaign=campaign, now=now)
    fields = ["targeted_count"]
    if campaign.targeted_count == 0:
        campaign.state = Campaign.State.SENT
        campaign.finished_at = now
        campaign.state_note = str(_("The segment had no members when sending started."))
        fields += ["state", "finished_at", "state_note"]
    campaign.save(update_fields=fields)
    if campaign.schedule == Campaign.Schedule.RECURRING:
        _clone_next(campaign)
    if campaign.state == Campaign.State.SENDING:
        _after_commit_send(campaign.pk)
    return True


def _transition(
    *,
    campaign: Campaign,
    actor,
    request: HttpRequest | None,
    allowed: tuple[str, ...],
    to: str,
    action: str,
) -> Campaign:
    _require_send(actor)
    locked = Campaign.objects.select_for_update().get(pk=campaign.pk)
    if locked.state not in allowed:
        raise ValidationError(
            _("This campaign is %(state)s; that is not possible now.")
            % {"state": locked.get_state_display().lower()},
            code="state",
        )
    before = locked.state
    locked.state = to
    locked.state_note = ""
    locked.save(update_fields=["state", "state_note"])
    audit_log(action=action, actor=actor, target=locked, request=request, details={"from": before})
    return locked


@transaction.atomic
def campaign_pause(*, campaign: Campaign, actor, request: HttpRequest | None = None) -> Campaign:
    """Sending → paused: workers stop after the batch in hand; nothing queued is lost."""
    return _transition(
        campaign=campaign,
        actor=actor,
        request=request,
        allowed=(Campaign.State.SENDING,),
        to=Campaign.State.PAUSED,
        action="campaign.pause",
    )


@transaction.atomic
def campaign_resume(*, campaign: Campaign, actor, request: HttpRequest | None = None) -> Campaign:
    """Paused → sending again."""
    campaign = _transition(
        campaign=campaign,
        actor=actor,
        request=request,
        allowed=(Campaign.State.PAUSED,),
        to=Campaign.State.SENDING,
        action="campaign.resume",
    )
    _after_commit_send(campaign.pk)
    return campaign


@transaction.atomic
def campaign_unschedule(
    *, campaign: Campaign, actor, request: HttpRequest | None = None
) -> Campaign:
    """Scheduled → draft, to edit it again before it starts."""
    return _transition(
        campaign=campaign,
        actor=actor,
        request=request,
        allowed=(Campaign.State.SCHEDULED,),
        to=Campaign.State.DRAFT,
        action="campaign.unschedule",
    )


@transaction.atomic
def campaign_cancel(*, campaign: Campaign, actor, request: HttpRequest | None = None) -> Campaign:
    """Stop for good: what is still queued is skipped (reason: cancelled); what was sent stays."""
    campaign = _transition(
        campaign=campaign,
        actor=actor,
        request=request,
        allowed=(
            Campaign.State.DRAFT,
            Campaign.State.SCHEDULED,
            Campaign.State.SENDING,
            Campaign.State.PAUSED,
        ),
        to=Campaign.State.CANCELLED,
        action="campaign.cancel",
    )
    Message.objects.filter(
        campaign=campaign, state__in=[Message.State.QUEUED, Message.State.HELD]
    ).update(state=Message.State.SKIPPED, skip_reason=Message.SkipReason.CANCELLED)
    return campaign
