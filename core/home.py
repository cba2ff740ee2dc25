"""Cards on the member's portal home that each app fills in: `home_card_register(...)` from
AppConfig.ready(), so the home page never names an app.

A card is a template and a context function. The function gets the request and the member
(`members.Member`, passed as Any because core imports no app) and returns the template's context,
or None to leave the card out (nothing to show: no upcoming event, no open survey). It must cost a
small, constant number of queries. The home renders each card with
`{% include card.template with card=card.context %}`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest

CardContext = Callable[[HttpRequest, Any], dict[str, Any] | None]


@dataclass(frozen=True)
class HomeCard:
    key: str
    template: str
    context: CardContext
    order: int = 100


@dataclass(frozen=True)
class RenderedCard:
    key: str
    template: str
    context: dict[str, Any]


_cards: dict[str, HomeCard] = {}


def home_card_register(*, key: str, template: str, context: CardContext, order: int = 100) -> None:
    _cards[key] = HomeCard(key=key, template=template, context=context, order=order)


def home_card_unregister(key: str) -> None:
    _cards.pop(key, None)


def home_cards(request: HttpRequest, member: Any) -> list[RenderedCard]:
    cards = []
    for card in sorted(_cards.values(), key=lambda c: (c.order, c.key)):
        context = card.context(request, member)
        if context is not None:
            cards.append(RenderedCard(key=card.key, template=card.template, context=context))
    return cards
