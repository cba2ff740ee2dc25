from __future__ import annotations

import factory

from tests.members.factories import SegmentFactory

BLOCKS_SV = [
    {"type": "heading", "text": "Hej {{ first_name }}!"},
    {"type": "text", "text": "Du har {{ points_balance }} poäng.\n\nVälkommen in."},
    {"type": "button", "text": "Till butiken", "url": "https://shop.example.se/vår"},
    {"type": "reward"},
]
BLOCKS_EN = [
    {"type": "heading", "text": "Hi {{ first_name }}!"},
    {"type": "text", "text": "You have {{ points_balance }} points."},
    {"type": "button", "text": "To the shop", "url": "https://shop.example.se/spring"},
]


class CampaignFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "campaigns.Campaign"

    name = factory.Sequence(lambda n: f"Vårkampanj {n}")
    segment = factory.SubFactory(SegmentFactory)
    channel = "email"


class VariantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "campaigns.Variant"

    campaign = factory.SubFactory(CampaignFactory)
    name = "A"
    share = 1
    subject_sv = "Vårnyheter för {{ first_name }}"
    subject_en = "Spring news for {{ first_name }}"
    blocks_sv = factory.LazyFunction(lambda: list(BLOCKS_SV))
    blocks_en = factory.LazyFunction(lambda: list(BLOCKS_EN))
    sms_text_sv = "Hej {{ first_name }}, vårrea i {{ store }}!"
    sms_text_en = "Hi {{ first_name }}, spring sale at {{ store }}!"
