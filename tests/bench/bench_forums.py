"""Forum benchmarks on PostgreSQL, with 200 000 posts (BENCH_FORUM_POSTS) written set-based on
top of the seeded club: 20 000 topics in the demo categories, Swedish and English posts of 40
words each from a vocabulary of a few thousand words, indexed by the generated tsvector column.

- ranked Swedish search (post_search: full-text, ranked, with ts_headline snippets): the median
  of 20 queries under 50 ms;
- the latest-topics page (/forums/topics/, a member logged in, rendered by the Django client):
  the median of 10 renders under 100 ms, with the same number of queries as on the small forum
  before the 200 000 posts were added.
"""

from __future__ import annotations

import os
import statistics
import time

from django.db import connection

POSTS = int(os.environ.get("BENCH_FORUM_POSTS") or 200_000)
POSTS_PER_TOPIC = 10
SEARCH_TARGET_MS = 50.0
PAGE_TARGET_MS = 100.0

STEMS_SV = [
    "sko",
    "kängor",
    "stövlar",
    "mocka",
    "läder",
    "impregnera",
    "spray",
    "borste",
    "sula",
    "klack",
    "snören",
    "storlek",
    "passform",
    "löpning",
    "vandring",
    "terräng",
    "regn",
    "snö",
    "salt",
    "fläck",
    "putsa",
    "smörja",
    "fett",
    "vax",
    "vinter",
    "sommar",
    "höst",
    "vår",
    "butik",
    "kassa",
    "poäng",
    "belöning",
    "medlem",
    "klubb",
    "nivå",
    "guld",
    "silver",
    "present",
    "rabatt",
    "frakt",
    "retur",
    "byte",
    "garanti",
    "reparation",
    "skomakare",
    "hälkappa",
    "innersula",
    "dämpning",
    "grepp",
    "dobbar",
    "membran",
    "ventilation",
    "tå",
    "häl",
    "vrist",
    "fot",
    "strumpa",
    "ull",
    "bomull",
    "syntet",
    "färg",
    "svart",
    "brun",
    "vit",
    "blå",
    "grön",
    "röd",
    "beige",
    "grå",
]
STEMS_EN = [
    "shoe",
    "boots",
    "suede",
    "leather",
    "waterproof",
    "spray",
    "brush",
    "sole",
    "heel",
    "laces",
    "size",
    "fit",
    "running",
    "hiking",
    "trail",
    "rain",
    "snow",
    "salt",
    "stain",
    "polish",
    "wax",
    "winter",
    "summer",
    "store",
    "points",
    "reward",
    "member",
    "club",
    "tier",
    "gift",
    "discount",
    "delivery",
    "return",
    "exchange",
    "warranty",
    "repair",
    "cobbler",
    "insole",
    "cushioning",
    "grip",
]
QUERIES = [
    "impregnera mocka",
    "stövlarna",
    "läderkängor salt",
    "löparskor storlek",
    "skomakare reparation",
    "vinter dobbar",
    "innersula dämpning",
    "poäng belöning",
    "garanti retur",
    "ullstrumpor",
    "putsa läder",
    "terränglöpning grepp",
    "svarta kängor",
    "frakt butik",
    "hälkappa",
    "membran ventilation",
    "guld present",
    "snören",
    "fläck vax",
    "passform vrist",
]


def _words(stems: list[str]) -> list[str]:
    """A few thousand distinct words: each stem alone and with common Swedish/English endings,
    so every word is in about one post in a hundred, as in a real forum."""
    endings = ["", "en", "er", "arna", "na", "s", "et", "ar", "or", "orna", "ing", "ade"]
    numbered = [f"{stem}{ending}" for stem in stems for ending in endings]
    return numbered + [f"ord{n}" for n in range(3000)]


def _fill(ctx) -> None:
    from forums.models import Category

    with connection.cursor() as cursor:
        cursor.execute("SELECT id FROM members_member WHERE user_id IS NOT NULL ORDER BY id")
        authors = [row[0] for row in cursor.fetchall()][:2000]
        categories = list(
            Category.objects.filter(read_access="members").values_list("pk", flat=True)
        )
        topics = POSTS // POSTS_PER_TOPIC
        sv, en = _words(STEMS_SV), _words(STEMS_EN)
        started = time.perf_counter()
        cursor.execute(
            """
            INSERT INTO forums_topic (category_id, kind, title, author_id, language, is_locked,
                is_pinned, is_hidden, reply_count, post_count, score, last_post_at, created_at)
            SELECT (%(categories)s::bigint[])[1 + g %% %(ncategories)s],
                   CASE WHEN g %% 4 = 0 THEN 'discussion' ELSE 'question' END,
                   'Fråga ' || g, (%(authors)s::bigint[])[1 + g %% %(nauthors)s],
                   CASE WHEN g %% 5 = 0 THEN 'en' ELSE 'sv' END, false, false, false,
                   %(per)s - 1, %(per)s, g %% 7,
                   now() - (g || ' minutes')::interval, now() - (g || ' minutes')::interval
            FROM generate_series(1, %(topics)s) g
            """,
            {
                "categories": categories,
                "ncategories": len(categories),
                "authors": authors,
                "nauthors": len(authors),
                "per": POSTS_PER_TOPIC,
                "topics": topics,
            },
        )
        cursor.execute(
            """
            INSERT INTO forums_post (topic_id, number, author_id, source, html, language,
                is_hidden, hidden_reason, is_accepted, rewarded, helpful_count, flag_weight,
                created_at)
            SELECT t.id, n, (%(authors)s::bigint[])[1 + (t.id + n) %% %(nauthors)s],
                   body.text, '<p>' || body.text || '</p>', t.language, false, '', false, false,
                   0, 0, t.created_at + (n || ' minutes')::interval
            FROM forums_topic t
            CROSS JOIN generate_series(1, %(per)s) n
            CROSS JOIN LATERAL (
                SELECT string_agg(
                    CASE WHEN t.language = 'en'
                         THEN (%(en)s::text[])[1 + abs(hashtext(t.id || ':' || n || ':' || i))
                                                   %% %(nen)s]
                         ELSE (%(sv)s::text[])[1 + abs(hashtext(t.id || ':' || n || ':' || i))
                                                   %% %(nsv)s]
                    END, ' ') AS text
                FROM generate_series(1, 40) i
            ) body
            WHERE t.title LIKE 'Fråga %%'
            """,
            {
                "authors": authors,
                "nauthors": len(authors),
                "per": POSTS_PER_TOPIC,
                "sv": sv,
                "nsv": len(sv),
                "en": en,
                "nen": len(en),
            },
        )
        cursor.execute("ANALYZE forums_topic")
        cursor.execute("ANALYZE forums_post")
        cursor.execute("SELECT count(*) FROM forums_post")
        (total,) = cursor.fetchone()
    ctx.print(f"  {total} forum posts in {time.perf_counter() - started:.1f} s")


def run(ctx) -> None:
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from forums.permissions import viewer_for_user
    from forums.selectors.search import post_search
    from members.models import User

    user = User.objects.filter(is_staff=False, member__isnull=False).order_by("pk").first()
    client = Client(SERVER_NAME="localhost")  # a host the settings allow
    client.force_login(user)

    def page_queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            response = client.get("/forums/topics/")
        assert response.status_code == 200, response.status_code
        return len(captured)

    client.get("/forums/topics/")
    small = page_queries()
    _fill(ctx)

    viewer = viewer_for_user(user)
    post_search(viewer=viewer, query="sko")  # warm the connection and caches
    times = []
    hit_counts: list[int] = []
    found = 0
    for query in QUERIES:
        started = time.perf_counter()
        hits = post_search(viewer=viewer, query=query)
        times.append((time.perf_counter() - started) * 1000)
        found += len(hits)
        hit_counts.append(len(hits))
    ctx.print(f"  {found} hits over {len(QUERIES)} queries")
    ctx.record(
        f"forum search, ranked Swedish, median of {len(QUERIES)} ({POSTS} posts)",
        statistics.median(times),
        SEARCH_TARGET_MS,
        unit="ms",
    )
    with_hits = sum(1 for count in hit_counts if count)
    ctx.record(
        "forum search: queries with hits", with_hits, len(QUERIES), passed=with_hits > 0, unit=""
    )

    renders = []
    for _i in range(10):
        started = time.perf_counter()
        response = client.get("/forums/topics/")
        renders.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200
    large = page_queries()
    ctx.record(
        "latest-topics page, median of 10 renders",
        statistics.median(renders),
        PAGE_TARGET_MS,
        unit="ms",
    )
    ctx.record(
        f"latest-topics page queries (small forum: {small})",
        large,
        small,
        passed=large == small,
        unit="",
    )
