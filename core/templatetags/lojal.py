"""The club's way of writing numbers, money, points and codes, one style per language.

    {% load lojal %}
    {{ balance|points }}          3 880 poäng      3,880 points
    {{ entry.amount|signed }}     +3 096 / −120    +3,096 / −120
    {{ purchase.amount|money }}   129,00 kr        SEK 129.00
    {{ count|num }}               12 500           12,500
    {% barcode member.number %}   Code 128, inline SVG
    {% qrcode member.number %}    QR code, inline SVG

Dates use Django's `date` filter with DATE_FORMAT or SHORT_DATE_FORMAT: Swedish "1 december
2026" / "2026-12-01", English "1 December 2026" / "1 Dec 2026" (config/formats/en), never
month-first. The thousands separator is a no-break space, so "3 880 poäng" never wraps.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django import template
from django.utils.formats import number_format
from django.utils.translation import ngettext, pgettext

from core.codes import code128_svg, qr_svg

register = template.Library()

NBSP = "\u00a0"
MINUS = "\u2212"


def _decimal(value) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


def format_number(value, decimals: int = 0) -> str:
    number = _decimal(value)
    if number is None:
        return ""
    text = number_format(number, decimal_pos=decimals, use_l10n=True, force_grouping=True)
    return text.replace(" ", NBSP).replace("-", MINUS)


@register.filter
def num(value) -> str:
    """A number with the language's grouping and only the decimals it needs: 12 500 / 12,500,
    1,5 / 1.5 (a rate of 1.500 shows as 1,5)."""
    number = _decimal(value)
    if number is None:
        return ""
    exponent = number.normalize().as_tuple().exponent
    decimals = -exponent if isinstance(exponent, int) and exponent < 0 else 0
    return format_number(number, decimals)


@register.filter
def money(value, decimals: int = 2) -> str:
    """An amount in kronor: 129,00 kr / SEK 129.00."""
    amount = format_number(value, decimals)
    if not amount:
        return ""
    # Translators: an amount of money in Swedish kronor; Swedish puts "kr" after the number.
    return pgettext("money", "SEK %(amount)s").replace(" ", NBSP) % {"amount": amount}


@register.filter
def points(value) -> str:
    """A number of points: 3 880 poäng / 3,880 points."""
    number = _decimal(value)
    if number is None:
        return ""
    count = int(number)
    return ngettext("%(points)s point", "%(points)s points", abs(count)).replace(" ", NBSP) % {
        "points": format_number(count)
    }


@register.filter
def signed(value) -> str:
    """A change with its sign: +3 096, −120, 0."""
    number = _decimal(value)
    if number is None:
        return ""
    text = format_number(number)
    return f"+{text}" if number > 0 else text


@register.simple_tag
def barcode(value, label: str = ""):
    return code128_svg(str(value), label=label) if value else ""


@register.simple_tag
def qrcode(value, label: str = ""):
    return qr_svg(str(value), label=label) if value else ""
