"""Demo data for the earning rules beyond purchases: a running double-points week for everyone
and points for activities (profile, consent, birthday, events, forums, surveys, suggestions,
referrals), with caps where members could otherwise farm points."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.utils import timezone

from core.seeding import SeedContext, demo_seeder

from .models import Activity, ActivityRule, BonusPeriod

# activity, points, once per member, per day, (per period, days)
ACTIVITY_RULES = [
    (Activity.PROFILE_COMPLETED, 200, True, None, None),
    (Activity.CONSENT_GIVEN, 50, False, None, None),
    (Activity.BIRTHDAY, 250, False, None, (1, 300)),
    (Activity.EVENT_ATTENDED, 100, False, 1, (4, 30)),
    (Activity.FORUM_ANSWER_ACCEPTED, 50, False, 3, (10, 30)),
    (Activity.SURVEY_ANSWERED, 25, False, 2, (5, 30)),
    (Activity.SUGGESTION_ADOPTED, 300, False, None, None),
    (Activity.REFERRAL_PURCHASE, 500, False, None, (10, 365)),
]


@demo_seeder(order=61)
def seed_earning_rules(ctx: SeedContext) -> None:
    now = timezone.now()
    BonusPeriod.objects.create(
        name="Dubbla poäng-veckan",
        multiplier=Decimal("2.00"),
        starts_at=now - datetime.timedelta(days=2),
        ends_at=now + datetime.timedelta(days=5),
    )
    ActivityRule.objects.bulk_create(
        [
            ActivityRule(
                activity=activity,
                points=points,
                once_per_member=once,
                cap_per_day=per_day,
                cap_per_period=period[0] if period else None,
                period_days=period[1] if period else None,
            )
            for activity, points, once, per_day, period in ACTIVITY_RULES
        ]
    )
    ctx.out(f"Rewards: 1 bonus period, {len(ACTIVITY_RULES)} activity rules.")
