"""A picture for every reward: the uploaded one, or one drawn here (an inline SVG, no network,
no script) from the reward's kind, so the catalogue and the demo club never show a bare card.

    {% load rewards_art %}
    {% reward_picture reward %}
"""

from __future__ import annotations

from django import template
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe

register = template.Library()

# Brand-near colour pairs (background, accent), one per kind, and a simple line icon (24×24).
ART = {
    "voucher": (
        "#0f5c55",
        "#ffd08a",
        "M3 8a2 2 0 0 1 2-2h14a2 2 0 0 1 2 2v2a2 2 0 0 0 0 4v2a2 2 0 0 1-2 2H5a2 2 0 0 1-2-2v-2"
        "a2 2 0 0 0 0-4zM14 6v12",
    ),
    "product": (
        "#7a3e1d",
        "#ffd8b8",
        "M12 3l8 4v10l-8 4-8-4V7zM4 7l8 4 8-4M12 11v10",
    ),
    "experience": (
        "#4b2a6b",
        "#e5d4ff",
        "M12 3l2.6 5.6 6 .7-4.5 4.1 1.2 6L12 16.5 6.7 19.4l1.2-6L3.4 9.3l6-.7z",
    ),
    "partner": (
        "#1d4e89",
        "#cfe3ff",
        "M4 7h16v4a2 2 0 0 0 0 4v2H4v-2a2 2 0 0 0 0-4zM9 7v10M4 11h0",
    ),
    "charity": (
        "#8a1c3b",
        "#ffd3df",
        "M12 20s-7-4.4-7-10a4 4 0 0 1 7-2.6A4 4 0 0 1 19 10c0 5.6-7 10-7 10z",
    ),
    "service": (
        "#2f5d1e",
        "#d8f0c8",
        "M14.7 6.3a4 4 0 0 0-5.4 5.4L3 18l3 3 6.3-6.3a4 4 0 0 0 5.4-5.4l-2.5 2.5-2.4-.6-.6-2.4z",
    ),
}


def reward_art_svg(*, kind: str, key: int, label: str) -> SafeString:
    background, accent, icon = ART.get(kind, ART["voucher"])
    gradient = f"reward-art-{int(key)}"
    # A few soft circles placed by the reward's id, so two rewards of a kind differ.
    circles = "".join(
        f'<circle cx="{(key * 37 + i * 71) % 160}" cy="{(key * 53 + i * 29) % 120}" '
        f'r="{18 + (key + i * 7) % 26}" fill="{accent}" fill-opacity="0.{12 + i * 4}"/>'
        for i in range(4)
    )
    svg = (
        '<svg class="reward-art" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 160 120" '
        f'role="img" aria-label="{escape(label)}">'
        f'<defs><linearGradient id="{gradient}" x1="0" y1="0" x2="1" y2="1">'
        f'<stop offset="0" stop-color="{background}"/>'
        f'<stop offset="1" stop-color="{background}" stop-opacity="0.78"/></linearGradient></defs>'
        f'<rect width="160" height="120" fill="url(#{gradient})"/>{circles}'
        f'<g transform="translate(56 36) scale(2)" fill="none" stroke="{accent}" '
        'stroke-width="1.6" stroke-linecap="round" stroke-linejoin="round">'
        f'<path d="{icon}"/></g></svg>'
    )
    return mark_safe(svg)  # noqa: S308 - constants, numbers and an escaped label


@register.simple_tag
def reward_picture(reward) -> SafeString:
    """The reward's uploaded picture, else its drawn one."""
    if reward.picture:
        return format_html(
            '<img class="reward-art" src="{}" alt="" loading="lazy">', reward.picture.url
        )
    return reward_art_svg(kind=reward.kind, key=reward.pk or 0, label=reward.get_kind_display())
