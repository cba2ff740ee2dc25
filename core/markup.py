"""Member-written text rendered safely, once at save (pretix's rich_text, Misago's markup):
Markdown with raw HTML off (markdown-it-py), then an allow-list sanitiser (nh3) that keeps only
harmless tags and attributes, drops `javascript:`/`data:` links, and gives every external link
`rel="nofollow ugc noopener"`. Images are kept only from the club's own uploads
(`MEDIA_URL`) or the allowed prefixes passed in; any other image becomes its alt text.

Store the source and the rendered HTML side by side; render with `markdown_render(source)` and
show the stored HTML with `|safe` only because it came out of here.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import urlsplit

import nh3
from django.conf import settings
from markdown_it import MarkdownIt

TAGS = {
    "p", "br", "hr", "strong", "em", "del", "s", "code", "pre", "blockquote", "ul", "ol", "li",
    "a", "img", "h3", "h4", "h5", "h6", "table", "thead", "tbody", "tr", "th", "td", "span",
}  # fmt: skip
ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title"},
    "ol": {"start"},
    "th": {"align"},
    "td": {"align"},
    "code": {"class"},
    "span": {"class"},
}
URL_SCHEMES = {"http", "https", "mailto"}
_SRCLESS_IMG = re.compile(r'<img(?![^>]*\ssrc=)(?:\s+alt="([^"]*)")?[^>]*>')

_md = (
    MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    .enable("table")
    .enable("strikethrough")
)


def _image_allowed(src: str, prefixes: tuple[str, ...]) -> bool:
    parts = urlsplit(src)
    if parts.scheme or parts.netloc:
        return any(src.startswith(p) for p in prefixes if "://" in p)
    return any(src.startswith(p) for p in prefixes)


def _attribute_filter(prefixes: tuple[str, ...]):
    def keep(tag: str, attribute: str, value: str) -> str | None:
        if tag == "img" and attribute == "src" and not _image_allowed(value, prefixes):
            return None
        if tag in ("code", "span") and attribute == "class":
            return value if value.startswith("language-") else None
        return value

    return keep


# Headings for pages the club itself writes (terms, privacy notice), never for members' posts.
HEADINGS = {"h2", "h3", "h4"}


def html_sanitise(
    html: str, *, image_prefixes: Iterable[str] | None = None, headings: bool = False
) -> str:
    """Clean HTML with the allow-list; images only from `image_prefixes` (default MEDIA_URL);
    with `headings`, h2–h4 are kept too."""
    prefixes = tuple(image_prefixes if image_prefixes is not None else (settings.MEDIA_URL,))
    cleaned = nh3.clean(
        html,
        tags=TAGS | HEADINGS if headings else TAGS,
        attributes=ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="nofollow ugc noopener",
        attribute_filter=_attribute_filter(prefixes),
        strip_comments=True,
    )
    # An image whose src was refused is shown as its alt text (already escaped by nh3).
    return _SRCLESS_IMG.sub(lambda m: m.group(1) or "", cleaned)


def markdown_render(
    source: str, *, image_prefixes: Iterable[str] | None = None, headings: bool = False
) -> str:
    """Markdown (raw HTML shown as text) to sanitised HTML; `headings` keeps ## to ####, for
    pages staff write."""
    return html_sanitise(_md.render(source or ""), image_prefixes=image_prefixes, headings=headings)


def text_render(source: str) -> str:
    """Plain text with line breaks, escaped: for free-text answers that are not Markdown."""
    from django.utils.html import escape, linebreaks

    return linebreaks(escape(source or ""))
