"""Points for activities, not only purchases: the public entry point for every app.

    points_earn_for_activity(*, member, activity, cause_key, cause=None, when=None)

`activity` is one of rewards.models.Activity (profile_completed, consent_given, birthday,
event_attended, forum_answer_accepted, survey_answered, suggestion_adopted, referral_purchase).
`cause_key` names what happened, stable across retries: "event:42", "post:17", "consent:email",
"birthday:2026". The same (member, activity, cause_key) earns at most once (the ledger's
idempotency key); a repeat returns the first entry. `cause` is the object behind it (an event
registration, a forum post …), stored on the entry. `when` (default now) picks the rule and is
the moment the caps are counted at.

The active ActivityRule valid at `when` decides the points (the newest when several overlap).
Nothing is written and None is returned when no rule applies, when a cap is reached (once per
member; at most N a day; at most N within the last `period_days` days) or when the member is
paused or erased. Caps count this member's earlier entries for the activity under the member's
account row lock, so two simultaneous calls cannot both pass a cap.

Call it inside the caller's transaction (it joins it): when the caller rolls back, so do the
points. Other apps must not import rewards models for this: this function is the whole API.
"""

from __future__ import annotations

import calendar
import datetime
import logging

from django.db import transaction
from django.db.models import CharField, Exists, F, OuterRef, Q, Value
from django.db.models.functions import Cast, Concat
from django.utils import timezone
from django.utils.translation import gettext_noop

from members.models import Member, Purchase
from rewards.models import Activity, ActivityRule, PointsEntry

from .ledger import Cause, account_lock, clean_key, credit_locked, entry_existing
from .tiers import tier_upgrade_locked

logger = logging.getLogger(__name__)
_DAY = datetime.timedelta(days=1)

REASONS = {
    Activity.PROFILE_COMPLETED: gettext_noop("Profile completed"),
    Activity.CONSENT_GIVEN: gettext_noop("Thank you for your consent"),
    Activity.BIRTHDAY: gettext_noop("Happy birthday!"),
    Activity.EVENT_ATTENDED: gettext_noop("Event attended"),
    Activity.FORUM_ANSWER_ACCEPTED: gettext_noop("Your forum answer was accepted"),
    Activity.SURVEY_ANSWERED: gettext_noop("Survey answered"),
    Activity.SUGGESTION_ADOPTED: gettext_noop("Your suggestion was adopted"),
    Activity.REFERRAL_PURCHASE: gettext_noop("A friend you referred made a purchase"),
}


def activity_label(activity: str) -> str:
    return f"activity:{activity}"


def activity_key(*, member: Member, activity: str, cause_key: str) -> str:
    return clean_key(f"activity:{activity}:{member.pk}:{cause_key}")


def activity_rule_for(*, activity: str, when: datetime.datetime) -> ActivityRule | None:
    """The active rule for `activity` valid at `when` (the newest when several overlap)."""
    return (
        ActivityRule.objects.filter(
            Q(activity=activity, is_active=True),
            Q(valid_from__isnull=True) | Q(valid_from__lte=when),
            Q(valid_until__isnull=True) | Q(valid_until__gt=when),
        )
        .order_by(F("valid_from").desc(nulls_last=True), "-pk")
        .first()
    )


def _cap_reached(*, rule: ActivityRule, member: Member, when: datetime.datetime) -> bool:
    earlier = PointsEntry.objects.filter(
        member=member, kind=PointsEntry.Kind.EARN, cause_label=activity_label(rule.activity)
    )
    if rule.once_per_member and earlier.exists():
        return True
    if rule.cap_per_day is not None:
        day_start = timezone.localtime(when).replace(hour=0, minute=0, second=0, microsecond=0)
        today = earlier.filter(created_at__gte=day_start, created_at__lt=day_start + _DAY)
        if today.count() >= rule.cap_per_day:
            return True
    if rule.cap_per_period is not None and rule.period_days:
        since = when - datetime.timedelta(days=rule.period_days)
        in_period = earlier.filter(created_at__gt=since, created_at__lte=when)
        if in_period.count() >= rule.cap_per_period:
            return True
    return False


def points_earn_for_activity(
    *,
    member: Member,
    activity: str,
    cause_key: str,
    cause: object | None = None,
    when: datetime.datetime | None = None,
    points: int | None = None,
) -> PointsEntry | None:
    """Earn the points of the activity rule for `activity`; see the module docstring. `points`
    (e.g. an event's own points for attending) replaces the rule's points; then no rule is
    needed, and a rule that exists still applies its caps."""
    if activity not in Activity.values:
        raise ValueError(f"Unknown activity {activity!r}.")
    if not isinstance(member, Member) or member.pk is None:
        raise TypeError("member must be a saved members.Member.")
    key = activity_key(member=member, activity=activity, cause_key=cause_key)
    when = when or timezone.now()
    status = Member.objects.filter(pk=member.pk).values_list("status", flat=True).first()
    if status != Member.Status.ACTIVE:
        return None
    with transaction.atomic():
        account = account_lock(member=member)
        assert account is not None
        existing = entry_existing(member=member, key=key)
        if existing is not None:
            return existing
        rule = activity_rule_for(activity=activity, when=when)
        if rule is None and not points:
            return None
        if rule is not None and _cap_reached(rule=rule, member=member, when=when):
            logger.info("Activity cap reached: member %s, %s", member.pk, activity)
            return None
        earned = points if points else rule.points  # type: ignore[union-attr]
        entry = credit_locked(
            account=account,
            member=member,
            kind=PointsEntry.Kind.EARN,
            points=earned,
            reason=REASONS[Activity(activity)],
            key=key,
            cause=Cause(
                label=activity_label(activity),
                obj=cause if hasattr(cause, "_meta") else None,  # type: ignore[arg-type]
            ),
            qualifying=earned,
            now=when,
        )
        tier_upgrade_locked(account=account, now=when)
    return entry


def points_earn_for_member_activity(*, member: Member, activity: str, cause_key: str) -> None:
    """The members.hooks activity handler (registered in RewardsConfig.ready())."""
    points_earn_for_activity(member=member, activity=activity, cause_key=cause_key)


def _birthday_q(today: datetime.date) -> Q:
    q = Q(birth_date__month=today.month, birth_date__day=today.day)
    if today.month == 2 and today.day == 28 and not calendar.isleap(today.year):
        q |= Q(birth_date__month=2, birth_date__day=29)
    return q


def points_birthday_award(*, today: datetime.date | None = None) -> int:
    """Award the birthday rule to every active member whose birthday is `today` (those born on
    29 February on 28 February in other years). Idempotent per member and year (cause_key
    "birthday:<year>"); members already awarded this year are left out by one query, so a
    second run the same day writes nothing. Returns the number of entries written."""
    today = today or timezone.localdate()
    when = timezone.now()
    if activity_rule_for(activity=Activity.BIRTHDAY, when=when) is None:
        return 0
    cause_key = f"birthday:{today.year}"
    done_keys = PointsEntry.objects.filter(
        member_id=OuterRef("pk"),
        idempotency_key=Concat(
            Value(f"activity:{Activity.BIRTHDAY}:"),
            Cast(OuterRef("pk"), CharField()),
            Value(f":{cause_key}"),
        ),
    )
    candidates = (
        Member.objects.filter(status=Member.Status.ACTIVE, birth_date__isnull=False)
        .filter(_birthday_q(today))
        .exclude(Exists(done_keys))
        .order_by("pk")
    )
    written = 0
    for member in candidates.iterator(chunk_size=500):
        entry = points_earn_for_activity(
            member=member, activity=Activity.BIRTHDAY, cause_key=cause_key, when=when
        )
        written += entry is not None
    return written


def points_earn_for_referral(*, purchase: Purchase) -> PointsEntry | None:
    """The referral_purchase rule for the member who referred the buyer, on the buyer's first
    purchase (not a return; earlier purchases of the buyer mean it is not the first). Once per
    referred member (cause_key "referral:<buyer id>"). Called from the purchase hook path, in the
    purchase's transaction."""
    if purchase.is_return or purchase.amount <= 0:
        return None
    buyer = Member.objects.filter(pk=purchase.member_id).select_related("referred_by").first()
    if buyer is None or buyer.referred_by is None or buyer.referred_by_id == buyer.pk:
        return None
    earlier = (
        Purchase.objects.filter(member_id=buyer.pk, original__isnull=True, amount__gt=0)
        .filter(
            Q(purchased_at__lt=purchase.purchased_at)
            | Q(purchased_at=purchase.purchased_at, pk__lt=purchase.pk)
        )
        .exists()
    )
    if earlier:
        return None
    return points_earn_for_activity(
        member=buyer.referred_by,
        activity=Activity.REFERRAL_PURCHASE,
        cause_key=f"referral:{buyer.pk}",
        cause=purchase,
        when=timezone.now(),
    )
