import factory

from rewards.models import EarningRule, Reward, Tier


class TierFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Tier
        django_get_or_create = ["order"]

    order = factory.Sequence(lambda n: n + 1)
    name_sv = factory.Sequence(lambda n: f"Nivå {n}")
    name_en = factory.Sequence(lambda n: f"Tier {n}")
    threshold = factory.Sequence(lambda n: 1000 * (n + 1))
    benefits_sv = "Fri frakt\nFörlängt öppet köp"
    benefits_en = "Free delivery\nExtended returns"


class RewardFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Reward

    kind = Reward.Kind.VOUCHER
    name_sv = factory.Sequence(lambda n: f"Presentkort {n}")
    name_en = factory.Sequence(lambda n: f"Gift card {n}")
    description_sv = "Ett presentkort att använda i alla butiker."
    description_en = "A gift card for every store."
    points_cost = 100
    stock = None
    voucher_value = 50
    voucher_valid_days = 90


class EarningRuleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = EarningRule

    name = factory.Sequence(lambda n: f"Regel {n}")
    points_per_sek = 1
