"""Demo forums for `seed_demo`: categories (one for Guld members only, one staff-only), Swedish
and English threads (questions with accepted answers, unanswered questions, discussions), helpful
votes, experts, and a flagged post waiting in the moderation queue. About one topic per 40
members (at least 12), written with bulk inserts, so 100 000 members stay quick."""

from __future__ import annotations

import datetime

from django.utils import timezone

from core.markup import markdown_render
from core.seeding import SeedContext, demo_seeder
from members.models import Member

from .models import Access, Category, Flag, ForumProfile, Post, Topic, Vote

CATEGORIES = [
    ("skovard", "Skovård och skötsel", "Frågor om att sköta skor, läder och mocka."),
    ("storlekar", "Storlekar och passform", "Hitta rätt storlek och passform."),
    ("lopning", "Löpning och träning", "Skor för löpning, vandring och träning."),
    ("klubben", "Klubben", "Poäng, belöningar och klubbens evenemang."),
    ("guld", "Guldlounge", "För medlemmar i nivån Guld."),
    ("personal", "Personalens rum", "Endast för personalen."),
]

THREADS_SV = [
    (
        "skovard",
        "Hur impregnerar jag mockaskor utan att de blir fläckiga?",
        "Jag köpte ett par mockaskor förra veckan. Vilken spray ska jag använda, och hur ofta?",
        [
            "Borsta dem först med en mockaborste, spraya sedan **två tunna lager** på 20 cm "
            "avstånd. Låt torka över natten.",
            "Jag använder klubbens egen nanospray, funkar fint även i regn.",
            "Testa alltid på en liten yta på insidan av hälen först!",
        ],
        0,
    ),
    (
        "storlekar",
        "Blir löparskorna trånga efter en mil?",
        "Mina fötter sväller på långpass. Ska jag ta en halv storlek större?",
        [
            "Ja, en halv storlek upp är vanligt för långdistans. Tummen bredd framför tårna.",
            "Prova skorna på eftermiddagen när foten är som störst.",
        ],
        0,
    ),
    (
        "lopning",
        "Vilka skor för terränglöpning på hösten?",
        "Jag springer mest på stig i skogen. Behöver jag goretex?",
        [
            "Goretex är skönt i blött gräs men blir varmt. Jag kör utan och ullstrumpor.",
            "Viktigast är greppet: djupa dobbar för lera och rötter.",
        ],
        1,
    ),
    (
        "klubben",
        "Hur snabbt kommer poängen efter ett köp i butik?",
        "Jag handlade i går men ser inga poäng än.",
        ["Poängen kommer direkt om du visar medlemskortet i kassan, annars inom ett dygn."],
        0,
    ),
    (
        "skovard",
        "Saltfläckar på läderkängor – går det att rädda?",
        "Vintern har gjort mina kängor vita av salt.",
        [
            "Blanda vatten och lite vinäger, torka av med en mjuk trasa och smörj sedan med "
            "läderfett.",
        ],
        None,
    ),
    ("klubben", "Vilken belöning har ni valt?", "Berätta gärna vad ni valt och varför!", [], None),
]
THREADS_EN = [
    (
        "skovard",
        "How do I clean white leather sneakers?",
        "Mine got grey after a month. Any tips that do not ruin the leather?",
        [
            "A soft brush, lukewarm water and a drop of mild soap. Dry at room temperature, "
            "never on a radiator.",
            "Eraser sponges work wonders on the rubber soles.",
        ],
        0,
    ),
    (
        "storlekar",
        "Are the hiking boots true to size?",
        "I am a 43 in most brands. Should I order 43 or 44?",
        ["I took my usual size and they fit well with thick socks."],
        0,
    ),
    (
        "lopning",
        "Favourite running routes in Stockholm?",
        "Share your favourite loops, we could meet up for a club run.",
        ["Djurgården around the canal, about 6 km and flat.", "Hellasgården trails!"],
        None,
    ),
]


DISCUSSIONS = {"Vilken belöning har ni valt?", "Favourite running routes in Stockholm?"}


def _days_ago(now: datetime.datetime, rng, most: int) -> datetime.datetime:
    return now - datetime.timedelta(days=rng.randint(1, most), minutes=rng.randint(0, 1440))


@demo_seeder(order=80)
def seed_forums(ctx: SeedContext) -> None:
    rng = ctx.rng
    now = timezone.now()
    categories = {}
    for order, (slug, name, description) in enumerate(CATEGORIES):
        access = Access.TIERS if slug == "guld" else Access.STAFF if slug == "personal" else None
        category = Category.objects.create(
            slug=slug,
            name=name,
            description=description,
            order=order,
            read_access=access or Access.MEMBERS,
            post_access=access or Access.MEMBERS,
        )
        if slug == "guld" and ctx.made.get("tiers"):
            top = max(ctx.made["tiers"].values(), key=lambda tier: tier.order)
            category.read_tiers.add(top)
            category.post_tiers.add(top)
        categories[slug] = category
    login_rows = [row for row in ctx.made.get("members", []) if row[3]]
    if not login_rows:
        ctx.out("  forums: categories only (no members with a login)")
        return
    languages = dict(
        Member.objects.filter(pk__in=[row[0] for row in login_rows]).values_list("pk", "language")
    )
    writers = [row[0] for row in login_rows][: max(20, ctx.members // 10)]
    profiles = [
        ForumProfile(
            member_id=member_id,
            display_name=f"medlem{member_id}" if index % 3 else f"Kund_{member_id}",
            trust_level=rng.choice([0, 1, 1, 2, 2, 3]),
            is_expert=index < 3,
            created_at=_days_ago(now, rng, 400),
        )
        for index, member_id in enumerate(writers)
    ]
    ForumProfile.objects.bulk_create(profiles, batch_size=2000)
    by_language = {
        "sv": [m for m in writers if languages.get(m) == "sv"] or writers,
        "en": [m for m in writers if languages.get(m) == "en"] or writers,
    }
    topic_total = max(12, ctx.members // 40)
    templates = [("sv", t) for t in THREADS_SV] + [("en", t) for t in THREADS_EN]
    topics, posts_by_topic = [], []
    for index in range(topic_total):
        language, (slug, title, question, answers, accepted) = templates[index % len(templates)]
        round_ = index // len(templates)
        people = by_language[language]
        asker = rng.choice(people)
        created = _days_ago(now, rng, 365)
        suffix = f" ({round_ + 1})" if round_ else ""
        if round_ and index % 5 == 0:
            answers, accepted = [], None  # some questions still wait for an answer
        topic = Topic(
            category=categories[slug],
            kind=Topic.Kind.DISCUSSION if title in DISCUSSIONS else Topic.Kind.QUESTION,
            title=f"{title}{suffix}",
            author_id=asker,
            language=language,
            created_at=created,
            last_post_at=created,
        )
        rows = [(asker, question, created, False)]
        when = created
        for number, text in enumerate(answers):
            when = when + datetime.timedelta(hours=rng.randint(1, 48))
            author = rng.choice([p for p in people if p != asker] or people)
            rows.append((author, text, when, number == accepted))
        topics.append(topic)
        posts_by_topic.append(rows)
    Topic.objects.bulk_create(topics, batch_size=2000)
    html_cache: dict[str, str] = {}
    posts = []
    for topic, rows in zip(topics, posts_by_topic, strict=True):
        for number, (author, text, when, is_accepted) in enumerate(rows, start=1):
            html = html_cache.setdefault(text, markdown_render(text))
            accepted = is_accepted and topic.kind == Topic.Kind.QUESTION
            posts.append(
                Post(
                    topic=topic,
                    number=number,
                    author_id=author,
                    source=text,
                    html=html,
                    language=topic.language,
                    is_accepted=accepted,
                    accepted_at=when if accepted else None,
                    rewarded=accepted and author != topic.author_id,
                    created_at=when,
                )
            )
        topic.post_count = len(rows)
        topic.reply_count = len(rows) - 1
        topic.last_post_at = rows[-1][2]
        topic.first_answer_at = rows[1][2] if len(rows) > 1 else None
        topic.solved_at = next((r[2] for r in rows if r[3]), None)
        if topic.kind != Topic.Kind.QUESTION:
            topic.solved_at = None
    Post.objects.bulk_create(posts, batch_size=2000)
    Topic.objects.bulk_update(
        topics,
        ["post_count", "reply_count", "last_post_at", "first_answer_at", "solved_at"],
        batch_size=2000,
    )
    # Helpful votes on answers, from other writers.
    votes = []
    for post in posts:
        if post.number == 1 or rng.random() < 0.4:
            continue
        for voter in rng.sample(writers, k=min(len(writers), rng.randint(1, 4))):
            if voter != post.author_id:
                votes.append(Vote(post=post, member_id=voter, post_author_id=post.author_id))
    Vote.objects.bulk_create(votes, batch_size=5000, ignore_conflicts=True)
    _recount(posts)
    # A flagged post waiting for a moderator.
    target = next(p for p in posts if p.number > 1)
    flaggers = [m for m in writers if m != target.author_id][:1]
    for member_id in flaggers:
        Flag.objects.create(
            post=target,
            member_id=member_id,
            reason=Flag.Reason.OFF_TOPIC,
            weight=2,
            note="Handlar inte om frågan.",
        )
        Post.objects.filter(pk=target.pk).update(flag_weight=2)
    ctx.out(
        f"  forums: {len(categories)} categories, {len(topics)} topics, {len(posts)} posts, "
        f"{len(votes)} helpful votes, {len(profiles)} forum profiles, 1 flagged post"
    )


def _recount(posts: list[Post]) -> None:
    """Counters from the rows just written: helpful counts, topic scores, reputation."""
    from django.conf import settings
    from django.db.models import Count

    helpful = dict(
        Vote.objects.values_list("post_id").annotate(n=Count("id")).values_list("post_id", "n")
    )
    received: dict[int, int] = {}
    accepted: dict[int, int] = {}
    post_counts: dict[int, int] = {}
    scores: dict[int, int] = {}
    for post in posts:
        post.helpful_count = helpful.get(post.pk, 0)
        received[post.author_id] = received.get(post.author_id, 0) + post.helpful_count
        post_counts[post.author_id] = post_counts.get(post.author_id, 0) + 1
        scores[post.topic_id] = scores.get(post.topic_id, 0) + post.helpful_count
        if post.rewarded:
            accepted[post.author_id] = accepted.get(post.author_id, 0) + 1
    Post.objects.bulk_update(posts, ["helpful_count"], batch_size=2000)
    topics = [Topic(pk=pk, score=score) for pk, score in scores.items()]
    Topic.objects.bulk_update(topics, ["score"], batch_size=2000)
    profiles = list(ForumProfile.objects.filter(member_id__in=post_counts))
    for profile in profiles:
        member = profile.member_id
        profile.post_count = post_counts.get(member, 0)
        profile.helpful_received = received.get(member, 0)
        profile.accepted_count = accepted.get(member, 0)
        profile.reputation = (
            profile.accepted_count * settings.FORUMS_REPUTATION_ACCEPTED
            + profile.helpful_received * settings.FORUMS_REPUTATION_HELPFUL
        )
    ForumProfile.objects.bulk_update(
        profiles,
        ["post_count", "helpful_received", "accepted_count", "reputation"],
        batch_size=2000,
    )
