"""Demo campaigns for seed_demo: two sent campaigns with results (one an A/B test in test mode
with a holdout and a chosen winner), a scheduled one, and live triggers.

The sent campaigns go through the real start (snapshot and outbox, set-based); what the
members then did (sent or skipped by consent, opens, clicks) is written in bulk, drawn from the
seeded random generator, so the report, calendar and dashboard have something to show."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.db import connection
from django.db.models import Exists, OuterRef, Subquery
from django.utils import timezone

from campaigns.models import Campaign, Message, Trigger, Variant
from campaigns.services.abtest import campaign_test_decide
from campaigns.services.campaigns import campaign_start
from core.seeding import SeedContext, demo_seeder
from members.models import ConsentEvent, Segment
from members.roles import MARKETER

BLOCKS = {
    "sv": [
        {"type": "heading", "text": "Hej {{ first_name }}!"},
        {"type": "text", "text": "Våren är här och vi har fyllt på med nyheter i {{ store }}."},
        {"type": "button", "text": "Se nyheterna", "url": "https://example.se/nyheter"},
        {"type": "reward"},
    ],
    "en": [
        {"type": "heading", "text": "Hi {{ first_name }}!"},
        {"type": "text", "text": "Spring is here, and {{ store }} is full of news."},
        {"type": "button", "text": "See what's new", "url": "https://example.se/news"},
        {"type": "reward"},
    ],
}


def _variant(campaign: Campaign, name: str, share: str, subject_sv: str, subject_en: str):
    return Variant.objects.create(
        campaign=campaign,
        name=name,
        share=Decimal(share),
        subject_sv=subject_sv,
        subject_en=subject_en,
        preheader_sv="Du har {{ points_balance }} poäng",
        preheader_en="You have {{ points_balance }} points",
        blocks_sv=BLOCKS["sv"],
        blocks_en=BLOCKS["en"],
        sms_text_sv="Hej {{ first_name }}! Vårnyheter i {{ store }} – välkommen in.",
        sms_text_en="Hi {{ first_name }}! Spring news at {{ store }} – come and see.",
    )


def _results(ctx: SeedContext, campaign: Campaign, *, at, open_rates: dict[int, float]) -> None:
    """Queued messages: sent if the member consents (skipped otherwise), then opens and clicks."""
    rows = Message.objects.filter(campaign=campaign, state=Message.State.QUEUED)
    latest = ConsentEvent.objects.filter(
        member=OuterRef(OuterRef("member_id")), purpose=campaign.channel
    ).order_by("-created_at", "-id")
    consent = Exists(
        ConsentEvent.objects.filter(pk=Subquery(latest.values("pk")[:1]), granted=True)
    )
    rows.exclude(consent).update(state=Message.State.SKIPPED, skip_reason="no_consent")
    rows.filter(consent).update(state=Message.State.SENT, sent_at=at, delivered_at=at)
    sent = list(
        Message.objects.filter(campaign=campaign, state=Message.State.SENT, opened_at__isnull=True)
        .order_by("pk")
        .values_list("pk", "variant_id")
    )
    opened = [pk for pk, variant in sent if ctx.rng.random() < open_rates.get(variant, 0.35)]
    clicked = [pk for pk in opened if ctx.rng.random() < 0.3]
    for chunk in range(0, len(opened), 5000):
        Message.objects.filter(pk__in=opened[chunk : chunk + 5000]).update(
            opened_at=at + datetime.timedelta(hours=2)
        )
    for chunk in range(0, len(clicked), 5000):
        Message.objects.filter(pk__in=clicked[chunk : chunk + 5000]).update(
            clicked_at=at + datetime.timedelta(hours=3)
        )


def _sent_campaign(ctx, *, name, segment, actor, days_ago, holdout, test_share, variants):
    start = timezone.now() - datetime.timedelta(days=days_ago)
    campaign = Campaign.objects.create(
        name=name,
        segment=segment,
        holdout_share=Decimal(holdout),
        test_share=Decimal(test_share),
        test_hours=4,
        test_metric="clicks",
        goal_kind=Campaign.Goal.PURCHASE,
        goal_window_days=14,
        schedule=Campaign.Schedule.AT,
        send_at=start,
        state=Campaign.State.SCHEDULED,
        created_by=actor,
    )
    made = [_variant(campaign, *variant) for variant in variants]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:  # the split is drawn from the seed too
            cursor.execute("SELECT setseed(%s)", [(ctx.seed % 1000) / 1000])
    campaign_start(campaign_id=campaign.pk, now=start)
    rates = {made[0].pk: 0.32, **({made[1].pk: 0.41} if len(made) > 1 else {})}
    _results(ctx, campaign, at=start, open_rates=rates)
    if test_share:
        campaign_test_decide(campaign_id=campaign.pk, now=start + datetime.timedelta(hours=4))
        _results(ctx, campaign, at=start + datetime.timedelta(hours=4), open_rates=rates)
    Campaign.objects.filter(pk=campaign.pk).update(
        state=Campaign.State.SENT, finished_at=start + datetime.timedelta(hours=5)
    )
    return campaign


@demo_seeder(order=95)
def seed_campaigns(ctx: SeedContext) -> None:
    actor = ctx.made.get("staff", {}).get(MARKETER)
    everyone, _created = Segment.objects.get_or_create(
        name="Alla medlemmar", defaults={"rules": {"op": "and", "rules": []}}
    )
    with_points, _created = Segment.objects.get_or_create(
        name="Medlemmar med poäng",
        defaults={
            "rules": {
                "op": "and",
                "rules": [{"field": "points_balance", "operator": "gt", "value": 0}],
            }
        },
    )
    ab = _sent_campaign(
        ctx,
        name="Vårnyheter: A/B-test av ämnesrad",
        segment=everyone,
        actor=actor,
        days_ago=21,
        holdout="0.1",
        test_share="0.3",
        variants=[
            ("A", "0.5", "Vårnyheter i {{ store }}", "Spring news at {{ store }}"),
            ("B", "0.5", "{{ first_name }}, våren är här!", "{{ first_name }}, spring is here!"),
        ],
    )
    _sent_campaign(
        ctx,
        name="Poängpåminnelse",
        segment=with_points,
        actor=actor,
        days_ago=9,
        holdout="0.1",
        test_share="0",
        variants=[
            ("A", "1", "Du har {{ points_balance }} poäng", "You have {{ points_balance }} points")
        ],
    )
    scheduled = Campaign.objects.create(
        name="Sommarkampanj",
        segment=everyone,
        holdout_share=Decimal("0.1"),
        schedule=Campaign.Schedule.AT,
        send_at=timezone.now() + datetime.timedelta(days=12),
        state=Campaign.State.SCHEDULED,
        created_by=actor,
    )
    _variant(scheduled, "A", "1", "Sommar i {{ store }}", "Summer at {{ store }}")
    triggers = [
        ("Födelsedagshälsning", Campaign.TriggerKind.BIRTHDAY, None, True),
        ("Välkomstserie", Campaign.TriggerKind.WELCOME, None, True),
        ("Poäng som snart går ut", Campaign.TriggerKind.POINTS_EXPIRING, None, True),
        ("Vi saknar dig", Campaign.TriggerKind.WIN_BACK, 120, False),
    ]
    for name, kind, days, on in triggers:
        trigger = Trigger.objects.create(
            name=name,
            trigger=kind,
            trigger_days=days,
            state=Campaign.State.SENDING if on else Campaign.State.PAUSED,
            started_at=timezone.now() if on else None,
            created_by=actor,
        )
        step = _variant(
            trigger, "1", "1", f"{name}, {{{{ first_name }}}}", "Hello {{ first_name }}"
        )
        if kind == Campaign.TriggerKind.WELCOME:
            second = _variant(trigger, "2", "1", "Dina första poäng", "Your first points")
            Variant.objects.filter(pk=second.pk).update(delay_days=7)
        del step
    ab.refresh_from_db()
    winner = ab.winner.name if ab.winner else "–"
    ctx.out(f"Campaigns: 2 sent (A/B test won by {winner}), 1 scheduled, {len(triggers)} triggers.")
