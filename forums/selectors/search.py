"""Forum search. On PostgreSQL: full-text over a stored generated `tsvector` column (posts and
topic titles indexed in their author's language, Swedish or English, with a GIN index; migration
0002), the query parsed in both configurations, ranked by ts_rank, with snippets from
ts_headline that are escaped and then marked. Elsewhere (SQLite): a plain icontains fallback."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection
from django.db.models.expressions import RawSQL
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from forums.models import Post, Topic
from forums.permissions import Viewer, topics_visible

START, STOP = "\x02", "\x03"  # never in member text: the source is cleaned of control characters
QUERY_SQL = "(websearch_to_tsquery('swedish', %s) || websearch_to_tsquery('english', %s))"
CONFIG_SQL = "(CASE WHEN {table}.language = 'en' THEN 'english' ELSE 'swedish' END)::regconfig"


def is_postgres() -> bool:
    return connection.vendor == "postgresql"


def snippet(raw: str) -> SafeString:
    """ts_headline's text, escaped, with only our markers turned into <mark>."""
    cleaned = escape(raw)
    return mark_safe(  # noqa: S308 - escaped above; only our own markers become tags
        cleaned.replace(START, "<mark>").replace(STOP, "</mark>")
    )


@dataclass
class Hit:
    post: Post
    snippet: SafeString
    rank: float


def _clean_query(query: str) -> str:
    return " ".join((query or "").replace("\x00", "").split())[:200]


def post_search(*, viewer: Viewer, query: str, limit: int = 20) -> list[Hit]:
    """Visible posts matching `query`, best first, each with a highlighted snippet."""
    query = _clean_query(query)
    if not query:
        return []
    posts = Post.objects.filter(
        topic__in=topics_visible(viewer).filter(merged_into=None).values("pk")
    )
    if not viewer.is_moderator:
        posts = posts.filter(is_hidden=False)
    if not is_postgres():
        found = list(
            posts.filter(source__icontains=query)
            .select_related("topic", "author__forum_profile")
            .order_by("-created_at")[:limit]
        )
        return [Hit(post=p, snippet=snippet(p.source[:200]), rank=0.0) for p in found]
    rank = RawSQL(f"ts_rank(forums_post.search_vector, {QUERY_SQL})", (query, query))  # noqa: S611 - constant SQL, query bound
    matches = RawSQL(f"forums_post.search_vector @@ {QUERY_SQL}", (query, query))  # noqa: S611 - constant SQL, query bound
    top = list(
        posts.alias(matches=matches)
        .filter(matches=True)
        .annotate(rank=rank)
        .select_related("topic", "author__forum_profile")
        .order_by("-rank", "-id")[:limit]
    )
    if not top:
        return []
    headlines = _headlines([p.pk for p in top], query)
    return [Hit(post=p, snippet=snippet(headlines.get(p.pk, "")), rank=p.rank) for p in top]


def _headlines(ids: list[int], query: str) -> dict[int, str]:
    config = CONFIG_SQL.format(table="p")
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT p.id, ts_headline({config}, p.source, {QUERY_SQL}, "  # noqa: S608 - constants
            "'StartSel=\x02, StopSel=\x03, MaxFragments=2, MaxWords=25, MinWords=8') "
            "FROM forums_post p WHERE p.id = ANY(%s)",
            [query, query, ids],
        )
        return dict(cursor.fetchall())


def topic_search(
    *, viewer: Viewer, query: str, solved_only: bool = False, limit: int = 10
) -> list[Topic]:
    """Visible topics whose title matches `query`, best first (similar questions)."""
    query = _clean_query(query)
    if not query:
        return []
    topics = topics_visible(viewer).filter(merged_into=None)
    if solved_only:
        topics = topics.filter(solved_at__isnull=False)
    if not is_postgres():
        words = [w for w in query.split() if len(w) > 3][:5]
        if not words:
            return []
        from django.db.models import Q

        q = Q()
        for word in words:
            q |= Q(title__icontains=word)
        return list(topics.filter(q).order_by("-score", "-id")[:limit])
    # Titles match on any of their words (OR), so a half-typed question still finds others.
    any_words = " or ".join(w for w in query.replace('"', " ").split() if w.lower() != "or")
    rank = RawSQL(f"ts_rank(forums_topic.search_vector, {QUERY_SQL})", (any_words, any_words))  # noqa: S611 - constant SQL, query bound
    matches = RawSQL(f"forums_topic.search_vector @@ {QUERY_SQL}", (any_words, any_words))  # noqa: S611 - constant SQL, query bound
    return list(
        topics.alias(matches=matches)
        .filter(matches=True)
        .annotate(rank=rank)
        .order_by("-rank", "-id")[:limit]
    )
