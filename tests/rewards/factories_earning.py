"""Factories for bonus periods and activity rules."""

import datetime
from decimal import Decimal

import factory
from django.utils import timezone

from rewards.models import ActivityRule, BonusPeriod


class BonusPeriodFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = BonusPeriod

    name = "Double points week"
    multiplier = Decimal("2.00")
    segment = None
    starts_at = factory.LazyFunction(lambda: timezone.now() - datetime.timedelta(days=1))
    ends_at = factory.LazyFunction(lambda: timezone.now() + datetime.timedelta(days=6))


class ActivityRuleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ActivityRule

    activity = "survey_answered"
    points = 50
