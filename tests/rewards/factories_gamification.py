"""Factories for benefits, badges and challenges (kept apart from factories.py, which another
area edits)."""

import datetime

import factory
from django.utils import timezone

from rewards.models import Badge, Benefit, Challenge, TierBenefitAllowance


class BenefitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Benefit

    name_sv = factory.Sequence(lambda n: f"Förmån {n}")
    name_en = factory.Sequence(lambda n: f"Benefit {n}")
    description_en = "Something nice."
    order = factory.Sequence(lambda n: n)


class TierBenefitAllowanceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TierBenefitAllowance
        django_get_or_create = ["tier"]

    picks_per_period = 1


class BadgeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Badge

    slug = factory.Sequence(lambda n: f"badge-{n}")
    name_sv = factory.Sequence(lambda n: f"Märke {n}")
    name_en = factory.Sequence(lambda n: f"Badge {n}")
    metric = "purchases"
    threshold = 1


class ChallengeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Challenge

    name_sv = factory.Sequence(lambda n: f"Utmaning {n}")
    name_en = factory.Sequence(lambda n: f"Challenge {n}")
    metric = "purchases"
    target = 2
    starts_at = factory.LazyFunction(lambda: timezone.now() - datetime.timedelta(days=10))
    ends_at = factory.LazyFunction(lambda: timezone.now() + datetime.timedelta(days=10))
    points = 100
