"""The validation rules every app applies to what people and systems send in: one place each.

- Dates: every user-supplied date or date-time must fall in a sane window, from 1 January of
  settings.LOJAL_DATE_MIN_YEAR to settings.LOJAL_DATE_MAX_FUTURE_DAYS days from today. Outside
  it Python or PostgreSQL cannot be trusted to read the value back (year 1 with a +14:00 offset
  is stored as 1 BC). `date_in_window(value)` raises a ValidationError with a message for
  people; `DateWindowValidator` is the same rule for form, serializer and model fields.
- One-line text (names, codes, ids): `text_one_line(value)` refuses NUL, control characters and
  the invisible formatting characters (bidi overrides and isolates, zero-width characters)
  that make a name display as something else in the admin, an e-mail or a CSV export;
  `OneLineTextValidator` is the same rule for fields.

Services call the functions; forms and serializers use the validators: the rule and its
message live here only.
"""

from __future__ import annotations

import datetime
import unicodedata
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext_lazy as _

# --- Dates -----------------------------------------------------------------------------------


def date_window() -> tuple[datetime.date, datetime.date]:
    """(first, last) day a user-supplied date may have, from the settings."""
    first = datetime.date(max(1, min(9999, int(settings.LOJAL_DATE_MIN_YEAR))), 1, 1)
    days = max(0, int(settings.LOJAL_DATE_MAX_FUTURE_DAYS))
    today = timezone.localdate()
    try:
        last = today + datetime.timedelta(days=days)
    except OverflowError:
        last = datetime.date.max
    return first, last


def date_in_window(value: datetime.date | datetime.datetime) -> None:
    """Raise ValidationError (code "date_out_of_range") unless `value` falls in the window.

    A date-time is judged by its own calendar day (before any time-zone conversion, which is
    exactly what overflows at the ends of the calendar) and, when aware, also by its UTC day."""
    first, last = date_window()
    days = [value.date() if isinstance(value, datetime.datetime) else value]
    if isinstance(value, datetime.datetime) and value.utcoffset() is not None:
        try:
            days.append((value - value.utcoffset()).date())  # type: ignore[operator]
        except OverflowError:
            days.append(datetime.date.min)
    if any(day < first or day > last for day in days):
        raise ValidationError(
            _("The date must be between %(first)s and %(last)s."),
            code="date_out_of_range",
            params={"first": first.isoformat(), "last": last.isoformat()},
        )


@deconstructible
class DateWindowValidator:
    """date_in_window as a field validator (forms, serializers, models)."""

    def __call__(self, value: Any) -> None:
        if isinstance(value, datetime.date):
            date_in_window(value)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, DateWindowValidator)


# --- One-line text ---------------------------------------------------------------------------

# Invisible characters that reorder or hide text: bidi embeddings, overrides and isolates,
# zero-width space/joiners, word joiner, the BOM, and the invisible operators.
_INVISIBLE = frozenset(
    "\u200b\u200c\u200d\u200e\u200f\u202a\u202b\u202c\u202d\u202e"
    "\u2060\u2061\u2062\u2063\u2064\u2066\u2067\u2068\u2069\ufeff\u00ad\u180e"
)


def text_bad_character(value: str) -> str | None:
    """The first character `value` may not hold in a one-line field, or None."""
    if value.isprintable():  # no control, format (bidi, zero-width) or line separator at all
        return None
    for char in value:
        if char in _INVISIBLE or unicodedata.category(char) in ("Cc", "Cs", "Zl", "Zp"):
            return char
    return None


def text_one_line(value: Any) -> None:
    """Raise ValidationError (code "bad_character") when a one-line text holds NUL, a control
    character, or an invisible formatting character such as a bidi override or zero-width
    space. The message names the character's code point, since it cannot be shown."""
    if not isinstance(value, str):
        return
    bad = text_bad_character(value)
    if bad is not None:
        raise ValidationError(
            _(
                "This text contains an invisible or control character (U+%(code)s); "
                "remove it and try again."
            ),
            code="bad_character",
            params={"code": f"{ord(bad):04X}"},
        )


@deconstructible
class OneLineTextValidator:
    """text_one_line as a field validator."""

    def __call__(self, value: Any) -> None:
        text_one_line(value)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, OneLineTextValidator)
