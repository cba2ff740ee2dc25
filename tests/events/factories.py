import datetime

import factory
from django.utils import timezone

from events.models import Event


def in_days(days: float, hour: int = 18) -> datetime.datetime:
    when = timezone.localtime() + datetime.timedelta(days=days)
    return when.replace(hour=hour, minute=0, second=0, microsecond=0)


class EventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Event
        skip_postgeneration_save = True

    title_sv = factory.Sequence(lambda n: f"Klubbkväll {n}")
    title_en = factory.Sequence(lambda n: f"Club evening {n}")
    description_sv = "Välkommen!"
    description_en = "Welcome!"
    starts_at = factory.LazyFunction(lambda: in_days(10))
    ends_at = factory.LazyAttribute(lambda o: o.starts_at + datetime.timedelta(hours=2))
    venue = "Butiken"
    address = "Drottninggatan 1"
    city = "Stockholm"
    capacity = 20
    status = Event.Status.PUBLISHED
    guests_allowed = 1
