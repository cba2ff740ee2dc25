"""Message content: e-mail blocks and SMS text with merge fields, rendered from an allow-listed
context only.

Merge fields are written `{{ first_name }}`. The renderer is not a template language: it knows
nothing but the names in MERGE_FIELDS, so a template cannot reach anything else (no attributes,
no filters, no tags). `template_check` refuses an unknown field or broken braces at save,
naming the place and the line.

An e-mail is rendered in two steps: once per variant and language the blocks become the branded
layout with the merge fields still in it (`EmailSkeleton`), then per member the fields, the
tracking links and the unsubscribe link are filled in by plain string substitution (cheap: the
sending rate does not depend on Django's template engine).
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from campaigns.smscount import sms_text_validate

MERGE_FIELDS: dict[str, Any] = {
    "first_name": _("First name"),
    "points_balance": _("Points balance"),
    "tier": _("Tier"),
    "points_expiring": _("Points expiring within 30 days"),
    "points_expiring_on": _("When the points expire"),
    "reward_suggestion": _("A reward the member can afford"),
    "store": _("The member's store"),
}
BLOCK_TYPES = {
    "heading": _("Heading"),
    "text": _("Text"),
    "image": _("Image"),
    "button": _("Button"),
    "reward": _("Reward suggestion"),
}

_FIELD_RE = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")
_TOKEN_RE = re.compile(r"\{\{(.*?)\}\}")
# Placeholders the skeleton carries for what differs per message.
CLICK = "__LOJAL_CLICK_{}__"
OPEN = "__LOJAL_OPEN__"
UNSUBSCRIBE = "__LOJAL_UNSUBSCRIBE__"


def template_check(text: str, *, where: Any) -> None:
    """Refuse broken braces or a field not in MERGE_FIELDS, naming `where` and the line."""
    for number, line in enumerate((text or "").splitlines() or [""], start=1):
        for match in _TOKEN_RE.finditer(line):
            inner = match.group(1).strip()
            if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", inner):
                raise ValidationError(
                    _("%(where)s, line %(line)s: “%(token)s” is not a merge field.")
                    % {"where": where, "line": number, "token": match.group(0)},
                    code="syntax",
                )
            if inner not in MERGE_FIELDS:
                raise ValidationError(
                    _(
                        "%(where)s, line %(line)s: unknown merge field “%(name)s”. "
                        "Use one of: %(allowed)s."
                    )
                    % {
                        "where": where,
                        "line": number,
                        "name": inner,
                        "allowed": ", ".join(MERGE_FIELDS),
                    },
                    code="unknown_field",
                )
        rest = _TOKEN_RE.sub("", line)
        if "{{" in rest or "}}" in rest or "{%" in rest or "%}" in rest:
            raise ValidationError(
                _("%(where)s, line %(line)s: unbalanced braces; write merge fields as {{ name }}.")
                % {"where": where, "line": number},
                code="syntax",
            )


def merge(text: str, context: dict[str, Any], *, escape: bool = False) -> str:
    """Fill in the merge fields (checked text only; an unknown name stays empty)."""

    def value(match: re.Match) -> str:
        found = context.get(match.group(1), "")
        found = "" if found is None else str(found)
        return html.escape(found) if escape else found

    return _FIELD_RE.sub(value, text)


def _is_url(value: Any) -> bool:
    return isinstance(value, str) and re.match(r"^https?://[^\s<>\"']+$", value) is not None


def blocks_check(blocks: Any, *, language_label: Any) -> None:
    """Refuse blocks of an unknown type, without their text, with a bad URL or a bad field."""
    if not isinstance(blocks, list):
        raise ValidationError(_("The content must be a list of blocks."), code="invalid")
    for number, block in enumerate(blocks, start=1):
        kind = block.get("type") if isinstance(block, dict) else None
        if kind not in BLOCK_TYPES:
            raise ValidationError(
                _("%(language)s block %(number)s: unknown block type.")
                % {"language": language_label, "number": number},
                code="invalid",
            )
        where = _("%(language)s block %(number)s (%(type)s)") % {
            "language": language_label,
            "number": number,
            "type": BLOCK_TYPES[kind],
        }
        if kind in ("heading", "text", "button") and not str(block.get("text") or "").strip():
            raise ValidationError(_("%(where)s needs a text.") % {"where": where}, code="invalid")
        if kind == "button" and not _is_url(block.get("url")):
            raise ValidationError(
                _("%(where)s needs a link starting with https://.") % {"where": where},
                code="invalid",
            )
        if kind == "image" and not _is_url(block.get("src")):
            raise ValidationError(
                _("%(where)s needs a picture address starting with https://.") % {"where": where},
                code="invalid",
            )
        for key in ("text", "alt"):
            if key in block:
                template_check(str(block[key]), where=where)


def variant_check(*, variant: Any, channel: str) -> None:
    """Everything about one variant's content that must hold before it may be sent."""
    for language, label in (("sv", _("Swedish")), ("en", _("English"))):
        if channel == "email":
            subject = getattr(variant, f"subject_{language}")
            template_check(subject, where=_("%(language)s subject") % {"language": label})
            template_check(
                getattr(variant, f"preheader_{language}"),
                where=_("%(language)s preheader") % {"language": label},
            )
            blocks_check(getattr(variant, f"blocks_{language}"), language_label=label)
        else:
            text = getattr(variant, f"sms_text_{language}")
            template_check(text, where=_("%(language)s SMS text") % {"language": label})
            try:
                # Parts as phones count them: GSM-7 153, UCS-2 67 a part (campaigns.smscount).
                sms_text_validate(text)
            except ValidationError as error:
                raise ValidationError(
                    _("The %(language)s SMS text is too long: %(problem)s")
                    % {"language": label, "problem": error.messages[0]},
                    code="too_long",
                ) from error
    if channel == "email" and not (variant.subject_sv or variant.subject_en):
        raise ValidationError(_("Variant %(name)s has no subject.") % {"name": variant.name})
    if channel == "email" and not (variant.blocks_sv or variant.blocks_en):
        raise ValidationError(_("Variant %(name)s has no content.") % {"name": variant.name})
    if channel == "sms" and not (variant.sms_text_sv or variant.sms_text_en):
        raise ValidationError(_("Variant %(name)s has no SMS text.") % {"name": variant.name})


# --- Rendering -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class EmailSkeleton:
    subject: str
    html: str  # merge fields and placeholders still in it
    text: str
    links: tuple[str, ...]  # the only URLs a click may lead to, by index


def _paragraphs(text: str) -> list[str]:
    return [p.strip() for p in re.split(r"\n\s*\n", text or "") if p.strip()]


def email_skeleton(*, content: dict[str, Any], language: str) -> EmailSkeleton:
    """The branded e-mail for one variant and language, ready for per-member substitution."""
    links: list[str] = []
    html_blocks: list[dict[str, Any]] = []
    text_parts: list[str] = []
    with translation.override(language):
        for block in content["blocks"]:
            kind = block["type"]
            if kind == "heading":
                html_blocks.append({"type": kind, "text": block["text"]})
                text_parts.append(block["text"])
            elif kind == "text":
                paragraphs = _paragraphs(block["text"])
                html_blocks.append({"type": kind, "paragraphs": paragraphs})
                text_parts.append("\n\n".join(paragraphs))
            elif kind == "image":
                html_blocks.append({"type": kind, "src": block["src"], "alt": block.get("alt", "")})
                if block.get("alt"):
                    text_parts.append(f"[{block['alt']}]")
            elif kind == "button":
                links.append(block["url"])
                placeholder = CLICK.format(len(links) - 1)
                html_blocks.append({"type": kind, "text": block["text"], "url": placeholder})
                text_parts.append(f"{block['text']}: {placeholder}")
            elif kind == "reward":
                html_blocks.append({"type": kind})
                text_parts.append(gettext("A reward for you: {{ reward_suggestion }}"))
        rendered = render_to_string(
            "campaigns/email/message.html",
            {
                "club_name": settings.CLUB_NAME,
                "preheader": content["preheader"],
                "blocks": html_blocks,
                "open_url": OPEN,
                "unsubscribe_url": UNSUBSCRIBE,
                "language": language,
                "reward_field": "{{ reward_suggestion }}",
            },
        )
        footer = gettext("Unsubscribe: %(url)s") % {"url": UNSUBSCRIBE}
    text = "\n\n".join([*text_parts, "--", f"{settings.CLUB_NAME}\n{footer}"]) + "\n"
    return EmailSkeleton(subject=content["subject"], html=rendered, text=text, links=tuple(links))


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    html: str
    text: str


def email_personalise(
    skeleton: EmailSkeleton,
    *,
    context: dict[str, Any],
    click_urls: list[str],
    open_url: str,
    unsubscribe_url: str,
) -> RenderedEmail:
    html_body = merge(skeleton.html, context, escape=True)
    text_body = merge(skeleton.text, context)
    for index, url in enumerate(click_urls):
        placeholder = CLICK.format(index)
        html_body = html_body.replace(placeholder, html.escape(url))
        text_body = text_body.replace(placeholder, url)
    html_body = html_body.replace(OPEN, html.escape(open_url)).replace(
        UNSUBSCRIBE, html.escape(unsubscribe_url)
    )
    text_body = text_body.replace(UNSUBSCRIBE, unsubscribe_url)
    subject = " ".join(merge(skeleton.subject, context).split())
    return RenderedEmail(subject=subject, html=html_body, text=text_body)


def sms_render(*, content: dict[str, Any], context: dict[str, Any], language: str) -> str:
    """The SMS text with its fields filled in, ending with how to stop."""
    with translation.override(language):
        stop = gettext("Reply STOP to unsubscribe")
    body = merge(content["sms_text"], context).strip()
    return f"{body}\n{stop}"
