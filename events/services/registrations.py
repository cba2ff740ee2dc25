"""Registrations, the waitlist and capacity: the one write path for seats.

Every service here works the pretix way: lock the event row first (SELECT … FOR UPDATE, with a
lock time-out), then re-count the seats taken from the registrations inside the lock and decide
on that count, never on what a page showed. Seats are held by registered members and by open
offers, each with their party (the member and their guests). The count is stored on the event
(`seats_taken`), where a CHECK keeps it at or below the capacity.

The waitlist is the same row as the registration: a full event puts the member in line
(`waitlist_position`, in arrival order, i.e. lock order). When seats free up (a cancellation,
a decline, an expired offer, a larger capacity) the first in line whose party fits gets them:
registered at once (`auto`) or offered the seat for `offer_hours` (`offer`).

A points price is paid per person when the member registers or joins the waitlist (through the
rewards ledger, in the same transaction) and paid back in full when they leave before the
cancellation deadline, leave the waitlist, decline or miss an offer, or the event is cancelled.

Refusals raise ValidationError with a code and a message for the member and write nothing.
E-mail goes to the outbox in the same transaction."""

from __future__ import annotations

import datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Count, Max, Q, Sum
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from core.services import audit_log
from events.models import Event, Registration
from members.models import Member
from rewards.models import Redemption
from rewards.services.ledger import Cause, points_debit, points_reverse
from rewards.targeting import member_in_segment

from .notifications import (
    notify_cancelled,
    notify_offered,
    notify_registered,
    notify_waitlisted,
)

Status = Registration.Status
REASON_PAID = gettext_noop("Event: %(event)s")
REASON_REFUNDED = gettext_noop("Event refund: %(event)s")

REFUSALS: dict[str, Any] = {
    "member_not_active": _("Only active members can register for events."),
    "not_published": _("This event is not open for registration."),
    "event_cancelled": _("This event has been cancelled."),
    "event_past": _("This event has already taken place."),
    "not_open_yet": _("Registration opens %(date)s."),
    "closed": _("Registration for this event has closed."),
    "wrong_tier": _("This event is for members of other tiers."),
    "not_in_segment": _("This event is for invited members only."),
    "already_registered": _("You are already registered for this event."),
    "already_waitlisted": _("You are already on the waitlist for this event."),
    "already_offered": _("A seat is already held for you: accept or decline it."),
    "guests_not_number": _("The number of guests must be a whole number."),
    "guests_negative": _("The number of guests cannot be negative."),
    "too_many_guests": _("You may bring at most %(limit)d guests to this event."),
    "party_too_large": _("Your party of %(size)d is larger than the event (%(capacity)d seats)."),
    "not_registered": _("You have no registration to cancel for this event."),
    "cancel_too_late": _("The cancellation deadline (%(date)s) has passed."),
    "no_offer": _("There is no seat offered to you for this event."),
    "offer_expired": _("The offer has expired and passed to the next in line."),
    "not_waitlisted": _("This registration is not on the waitlist."),
    "does_not_fit": _("The party does not fit: %(free)d seats are free."),
    "capacity_below_taken": _("Capacity cannot be below the %(taken)d seats already taken."),
    "capacity_not_number": _("Capacity must be a whole number of at least 1."),
    "already_cancelled": _("This event is already cancelled."),
    "event_full": _("This event is fully booked."),
}


def refusal(code: str, **params: Any) -> ValidationError:
    return ValidationError(REFUSALS[code], code=code, params=params or None)


def _local(value: datetime.datetime) -> str:
    return date_format(timezone.localtime(value), "DATETIME_FORMAT")


def _titles(event: Event) -> dict[str, str]:
    return {"sv": event.title_sv or event.title_en, "en": event.title_en or event.title_sv}


# --- Locks and counts ----------------------------------------------------------------------------


def event_lock(*, event_id: int) -> Event:
    """The event, row-locked until the transaction ends (PostgreSQL gives up after
    EVENTS_LOCK_TIMEOUT_MS rather than wait for ever)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            timeout = int(settings.EVENTS_LOCK_TIMEOUT_MS)
            cursor.execute(f"SET LOCAL lock_timeout = {timeout}")
    return Event.objects.select_for_update().get(pk=event_id)


def seats_count(*, event: Event) -> int:
    """The seats taken now (registered and offered, with guests), counted from the rows."""
    return _counts(event)[0]


def _counts(event: Event, member: Member | None = None) -> tuple[int, int, int, int]:
    """(seats taken, the last waitlist position, how many wait, rows of `member`) in one
    query."""
    holds = Q(status__in=Registration.HOLDS_SEAT)
    total = Registration.objects.filter(event=event).aggregate(
        rows=Count("id", filter=holds),
        guests=Sum("guests", filter=holds),
        last=Max("waitlist_position"),
        waiting=Count("id", filter=Q(status=Status.WAITLISTED)),
        mine=Count("id", filter=Q(member=member)),
    )
    taken = total["rows"] + (total["guests"] or 0)
    return taken, total["last"] or 0, total["waiting"], total["mine"]


def _recount_locked(event: Event) -> int:
    event.seats_taken = seats_count(event=event)
    return event.seats_taken


def _save_seats(event: Event) -> None:
    Event.objects.filter(pk=event.pk).update(seats_taken=event.seats_taken)


# --- Checks ------------------------------------------------------------------------------------


def guests_clean(value: Any) -> int:
    if isinstance(value, bool):
        raise refusal("guests_not_number")
    if isinstance(value, str):
        value = value.strip() or "0"
        if not value.lstrip("-").isdigit():
            raise refusal("guests_not_number")
        value = int(value)
    if isinstance(value, float):
        if not value.is_integer():
            raise refusal("guests_not_number")
        value = int(value)
    if not isinstance(value, int):
        raise refusal("guests_not_number")
    if value < 0:
        raise refusal("guests_negative")
    return value


def member_may_attend(*, event: Event, member: Member) -> bool:
    try:
        _check_eligible(event=event, member=member)
    except ValidationError:
        return False
    return True


def _check_eligible(*, event: Event, member: Member) -> None:
    if event.eligibility == Event.Eligibility.TIERS:
        tier_ids = {tier.pk for tier in event.tiers.all()}
        account = getattr(member, "points_account", None)
        tier_id = account.tier_id if account is not None else None
        if tier_id not in tier_ids:
            raise refusal("wrong_tier")
    elif event.eligibility == Event.Eligibility.SEGMENT and (
        event.segment is None or not member_in_segment(member=member, segment=event.segment)
    ):
        raise refusal("not_in_segment")


def event_check_open(*, event: Event, now: datetime.datetime) -> None:
    """Raise the refusal when `event` takes no registrations at `now` (status and window)."""
    if event.status == Event.Status.CANCELLED:
        raise refusal("event_cancelled")
    if event.status == Event.Status.FINISHED or event.starts_at <= now:
        raise refusal("event_past")
    if event.status != Event.Status.PUBLISHED:
        raise refusal("not_published")
    if event.registration_opens_at and now < event.registration_opens_at:
        raise refusal("not_open_yet", date=_local(event.registration_opens_at))
    if now >= event.closes_at:
        raise refusal("closed")


# --- Points ------------------------------------------------------------------------------------


def _pay_locked(registration: Registration, event: Event) -> None:
    price = event.points_price * registration.party_size
    if not price:
        return
    registration.payments += 1
    entry = points_debit(
        member=registration.member,
        points=price,
        reason=REASON_PAID,
        reason_params={"event": _titles(event)},
        idempotency_key=f"event:{registration.pk}:pay:{registration.payments}",
        cause=Cause(label="event_registration", obj=registration),
    )
    registration.payment_entry = entry
    registration.points_paid += price


def _refund_locked(registration: Registration, event: Event, actor=None) -> int:
    """Pay back the outstanding payment of `registration` (at most once per payment)."""
    entry = registration.payment_entry
    if entry is None:
        return 0
    owed = registration.points_paid - registration.points_refunded
    if owed <= 0:
        return 0
    points_reverse(
        entry=entry,
        actor=actor,
        reason=str(REASON_REFUNDED % {"event": event.title_sv}),
        idempotency_key=f"event:{registration.pk}:refund:{registration.payments}",
    )
    registration.points_refunded += -entry.amount
    registration.payment_entry = None
    return -entry.amount


# --- Waitlist promotion ------------------------------------------------------------------------


def _fill_locked(event: Event, *, now: datetime.datetime) -> list[Registration]:
    """Give the free seats to the first in line whose party fits (event locked, seats counted)."""
    free = event.capacity - event.seats_taken
    if free <= 0 or event.status != Event.Status.PUBLISHED or event.starts_at <= now:
        return []
    promoted = []
    waiting = (
        Registration.objects.select_for_update()
        .select_related("member")
        .filter(event=event, status=Status.WAITLISTED)
        .order_by("waitlist_position")
    )
    for registration in waiting:
        if free <= 0:
            break
        if registration.party_size > free:
            continue
        free -= registration.party_size
        registration.event = event
        registration.waitlist_position = None
        registration.updated_at = now
        if event.waitlist_mode == Event.WaitlistMode.OFFER:
            registration.status = Status.OFFERED
            registration.offer_expires_at = now + datetime.timedelta(hours=event.offer_hours)
            registration.save(
                update_fields=["status", "waitlist_position", "offer_expires_at", "updated_at"]
            )
            notify_offered(registration)
        else:
            registration.status = Status.REGISTERED
            registration.save(update_fields=["status", "waitlist_position", "updated_at"])
            notify_registered(registration, promoted=True)
        promoted.append(registration)
    event.seats_taken = event.capacity - free
    return promoted


# --- The services ------------------------------------------------------------------------------


def event_register(
    *,
    event: Event,
    member: Member,
    guests: Any = 0,
    by_staff: bool = False,
    actor=None,
    now: datetime.datetime | None = None,
    redemption: Redemption | None = None,
) -> Registration:
    """Register `member` (with `guests`) for `event`, or put them on its waitlist when the party
    does not fit. Staff (`by_staff`) may register outside the registration window, whatever the
    member's tier or segment, and without the points price; the capacity holds for them too.
    A seat paid by a catalogue `redemption` costs no points price and is never a waitlist
    place: a full event refuses it ("event_full")."""
    guests = guests_clean(guests)
    now = now or timezone.now()
    if not isinstance(member, Member) or member.pk is None:
        raise TypeError("member must be a saved members.Member.")
    with transaction.atomic():
        event = event_lock(event_id=event.pk)
        if member.status != Member.Status.ACTIVE:
            raise refusal("member_not_active")
        if by_staff:
            if event.status == Event.Status.CANCELLED:
                raise refusal("event_cancelled")
            if event.ends_at <= now or event.status == Event.Status.FINISHED:
                raise refusal("event_past")
        else:
            event_check_open(event=event, now=now)
            if guests > event.guests_allowed:
                raise refusal("too_many_guests", limit=event.guests_allowed)
            _check_eligible(event=event, member=member)
        if guests + 1 > event.capacity:
            raise refusal("party_too_large", size=guests + 1, capacity=event.capacity)
        taken, last_position, waiting, mine = _counts(event, member)
        if mine:
            # Registering again after cancelling: the same row, locked (after the event, as
            # everywhere).
            registration = Registration.objects.select_for_update().get(event=event, member=member)
            if registration.status == Status.REGISTERED:
                raise refusal("already_registered")
            if registration.status == Status.WAITLISTED:
                raise refusal("already_waitlisted")
            if registration.status == Status.OFFERED:
                raise refusal("already_offered")
        else:
            registration = Registration(event=event, member=member, created_at=now)
        registration.event = event
        registration.member = member
        registration.guests = guests
        registration.by_staff = by_staff
        registration.cancelled_at = None
        registration.offer_expires_at = None
        registration.updated_at = now
        seats_before = event.seats_taken
        event.seats_taken = taken
        if taken + registration.party_size <= event.capacity:
            registration.status = Status.REGISTERED
            registration.waitlist_position = None
            event.seats_taken = taken + registration.party_size
        elif redemption is not None:
            raise refusal("event_full")
        else:
            registration.status = Status.WAITLISTED
            registration.waitlist_position = last_position + 1
            registration.place_in_line = waiting + 1  # type: ignore[attr-defined]
        registration.redemption = redemption
        registration.save()
        if not by_staff and redemption is None and event.points_price:
            _pay_locked(registration, event)
            registration.save(
                update_fields=["payments", "payment_entry", "points_paid", "updated_at"]
            )
        if event.seats_taken != seats_before:
            _save_seats(event)
        if registration.status == Status.REGISTERED:
            notify_registered(registration)
        else:
            notify_waitlisted(registration)
        if by_staff:
            audit_log(
                action="event.register",
                actor=actor,
                target=registration,
                details={"event": event.pk, "member": member.pk, "guests": guests},
            )
    return registration


def _registration_lock(registration_id: int) -> Registration:
    return (
        Registration.objects.select_for_update(of=("self",))
        .select_related("member", "payment_entry")
        .get(pk=registration_id)
    )


def event_cancel_registration(
    *,
    registration: Registration,
    member: Member | None = None,
    by_staff: bool = False,
    actor=None,
    now: datetime.datetime | None = None,
    notify: bool = True,
) -> Registration:
    """Cancel a registration, leave the waitlist or let an offered seat go. Members (`member`
    given, checked to own it) may cancel a seat only until the cancellation deadline; they may
    leave the waitlist at any time. Points paid come back; freed seats go to the waitlist."""
    now = now or timezone.now()
    with transaction.atomic():
        event = event_lock(event_id=registration.event_id)
        current = _registration_lock(registration.pk)
        if member is not None and current.member_id != member.pk:
            raise refusal("not_registered")
        if current.status in (Status.CANCELLED, Status.DECLINED):
            raise refusal("not_registered")
        if current.status == Status.REGISTERED and not by_staff and now > event.cancel_until:
            raise refusal("cancel_too_late", date=_local(event.cancel_until))
        if event.status == Event.Status.CANCELLED:
            raise refusal("event_cancelled")
        was = current.status
        current.event = event
        current.status = Status.DECLINED if was == Status.OFFERED else Status.CANCELLED
        _leave_locked(current, event, now=now, actor=actor)
        if was in Registration.HOLDS_SEAT:
            _recount_locked(event)
            _fill_locked(event, now=now)
            _save_seats(event)
        if notify:
            notify_cancelled(current, event_cancelled=False)
        if by_staff:
            audit_log(
                action="event.cancel_registration",
                actor=actor,
                target=current,
                details={"event": event.pk, "member": current.member_id, "was": was},
            )
    return current


def _leave_locked(registration: Registration, event: Event, *, now, actor=None) -> None:
    _refund_locked(registration, event, actor=actor)
    registration.waitlist_position = None
    registration.offer_expires_at = None
    registration.cancelled_at = now
    registration.updated_at = now
    registration.save(
        update_fields=[
            "status",
            "waitlist_position",
            "offer_expires_at",
            "cancelled_at",
            "updated_at",
            "points_refunded",
            "payment_entry",
        ]
    )


def offer_accept(
    *, registration: Registration, member: Member, now: datetime.datetime | None = None
) -> Registration:
    """The member takes the seat held for them, before the offer expires."""
    now = now or timezone.now()
    with transaction.atomic():
        event = event_lock(event_id=registration.event_id)
        current = _registration_lock(registration.pk)
        if current.member_id != member.pk or current.status not in (
            Status.OFFERED,
            Status.DECLINED,
        ):
            raise refusal("no_offer")
        if current.status == Status.DECLINED or (
            current.offer_expires_at is not None and current.offer_expires_at <= now
        ):
            raise refusal("offer_expired")
        if event.status == Event.Status.CANCELLED:
            raise refusal("event_cancelled")
        current.event = event
        current.status = Status.REGISTERED
        current.offer_expires_at = None
        current.updated_at = now
        current.save(update_fields=["status", "offer_expires_at", "updated_at"])
        notify_registered(current)
    return current


def offer_decline(
    *, registration: Registration, member: Member, now: datetime.datetime | None = None
) -> Registration:
    """ "Not interested any more": the held seat passes to the next in line."""
    current = Registration.objects.get(pk=registration.pk)
    if current.member_id != member.pk or current.status != Status.OFFERED:
        raise refusal("no_offer")
    return event_cancel_registration(registration=current, member=member, now=now)


def offers_expire(*, now: datetime.datetime | None = None) -> int:
    """Offers not taken in time pass to the next in line: one event at a time, under its lock,
    re-reading the expired offers inside it, so two runs at once pass each offer on once."""
    now = now or timezone.now()
    event_ids = list(
        Registration.objects.filter(status=Status.OFFERED, offer_expires_at__lte=now)
        .values_list("event_id", flat=True)
        .distinct()
        .order_by("event_id")
    )
    expired = 0
    for event_id in event_ids:
        with transaction.atomic():
            event = event_lock(event_id=event_id)
            offers = list(
                Registration.objects.select_for_update(of=("self",))
                .select_related("member", "payment_entry")
                .filter(event=event, status=Status.OFFERED, offer_expires_at__lte=now)
                .order_by("pk")
            )
            for offer in offers:
                offer.event = event
                offer.status = Status.DECLINED
                _leave_locked(offer, event, now=now)
                expired += 1
            if offers:
                _recount_locked(event)
                _fill_locked(event, now=now)
                _save_seats(event)
    return expired


def registration_promote(
    *, registration: Registration, actor, now: datetime.datetime | None = None
) -> Registration:
    """Staff move someone from the waitlist to registered, if their party fits."""
    now = now or timezone.now()
    with transaction.atomic():
        event = event_lock(event_id=registration.event_id)
        current = _registration_lock(registration.pk)
        if current.status != Status.WAITLISTED:
            raise refusal("not_waitlisted")
        free = event.capacity - _recount_locked(event)
        if current.party_size > free:
            raise refusal("does_not_fit", free=max(free, 0))
        current.event = event
        current.status = Status.REGISTERED
        current.waitlist_position = None
        current.updated_at = now
        current.save(update_fields=["status", "waitlist_position", "updated_at"])
        event.seats_taken += current.party_size
        _save_seats(event)
        notify_registered(current, promoted=True)
        audit_log(action="event.promote", actor=actor, target=current)
    return current


def event_capacity_change(
    *, event: Event, capacity: Any, actor=None, now: datetime.datetime | None = None
) -> Event:
    """Set the capacity; never below the seats taken. Raising it promotes from the waitlist."""
    if isinstance(capacity, bool) or not isinstance(capacity, int) or capacity < 1:
        raise refusal("capacity_not_number")
    now = now or timezone.now()
    with transaction.atomic():
        locked = event_lock(event_id=event.pk)
        taken = _recount_locked(locked)
        if capacity < taken:
            raise refusal("capacity_below_taken", taken=taken)
        before = locked.capacity
        locked.capacity = capacity
        Event.objects.filter(pk=locked.pk).update(capacity=capacity)
        _fill_locked(locked, now=now)
        _save_seats(locked)
        audit_log(
            action="event.capacity",
            actor=actor,
            target=locked,
            details={"from": before, "to": capacity},
        )
    return locked


def event_cancel(*, event: Event, actor=None, now: datetime.datetime | None = None) -> Event:
    """Cancel the whole event: everyone registered, waiting or offered is told and gets their
    points back."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = event_lock(event_id=event.pk)
        if locked.status == Event.Status.CANCELLED:
            raise refusal("already_cancelled")
        locked.status = Event.Status.CANCELLED
        locked.seats_taken = 0
        Event.objects.filter(pk=locked.pk).update(status=locked.status, seats_taken=0)
        active = (
            Registration.objects.select_for_update(of=("self",))
            .select_related("member", "payment_entry")
            .filter(event=locked, status__in=[Status.REGISTERED, Status.WAITLISTED, Status.OFFERED])
            .order_by("pk")
        )
        for registration in active:
            registration.event = locked
            registration.status = Status.CANCELLED
            _leave_locked(registration, locked, now=now, actor=actor)
            notify_cancelled(registration, event_cancelled=True)
        audit_log(action="event.cancel", actor=actor, target=locked)
    return locked


def event_seat_hook(*, reward_id: int, member: Member):
    """The rewards.hooks redemption hook. A reward that an event points at takes a seat at the
    event: before the points are spent, the event is locked and checked (open, the member may
    come, not already there, a seat free), refusing the redemption with nothing written if not;
    after it, the seat is registered under the same lock. A repeated redemption key finds its
    seat and takes no other."""
    event_id = Event.objects.filter(reward_id=reward_id).values_list("pk", flat=True).first()
    if event_id is None:
        return None
    now = timezone.now()
    event = event_lock(event_id=event_id)
    if member.status != Member.Status.ACTIVE:
        raise refusal("member_not_active")
    held = Registration.objects.filter(
        event=event,
        member=member,
        status__in=[Status.REGISTERED, Status.WAITLISTED, Status.OFFERED],
    ).first()
    if held is not None and held.redemption_id is not None:
        return lambda redemption: None  # the seat of an earlier redemption (a repeated key)
    if held is not None:
        raise refusal(f"already_{held.status}")
    event_check_open(event=event, now=now)
    _check_eligible(event=event, member=member)
    if _recount_locked(event) + 1 > event.capacity:
        raise refusal("event_full")

    def after(redemption: Redemption) -> None:
        event_register(event=event, member=member, redemption=redemption, now=now)

    return after
