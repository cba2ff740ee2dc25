"""How many SMS parts a text takes, and which character makes it expensive.

An SMS carries 140 octets. Text that fits the GSM 03.38 alphabet (GSM-7) is packed at 7 bits a
character: 160 characters in one SMS, or 153 per part when the text is split (each part carries a
header to join them). The characters of the GSM extension table (``^ { } [ ] ~ \\ | €`` and form
feed) are sent as an escape plus the character, so they count as two. Any character outside both
tables makes the whole text UCS-2: 70 characters in one SMS, 67 per part, and characters beyond
the Basic Multilingual Plane (most emoji) count as two. A part never splits an extension character
or an emoji, so the count here splits greedily like a phone does instead of dividing.

``static/campaigns/smscount.js`` implements the same rules for the live counter in the browser
(tests/campaigns/test_sms_count.py holds them to the same answers).
"""

from __future__ import annotations

from dataclasses import dataclass

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

GSM7 = "GSM-7"
UCS2 = "UCS-2"

# GSM 03.38 basic character set (the escape 0x1B is not a character of its own).
GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
# The extension table: sent as escape + character, so two septets each.
GSM7_EXTENSION = frozenset("^{}\\[~]|€\f")

LIMITS = {
    # encoding: (characters in a single SMS, characters per part of a longer one)
    GSM7: (160, 153),
    UCS2: (70, 67),
}


@dataclass(frozen=True)
class SmsCount:
    encoding: str  # GSM7 or UCS2
    parts: int  # SMS parts the text is sent as (0 for an empty text)
    characters: int  # characters as the network counts them (extension characters and emoji: 2)
    per_part: int  # characters per part at this length (160/153 or 70/67)
    remaining: int  # characters left in the last part before another part is needed
    ucs2_character: str = ""  # the first character that forced UCS-2, if any
    ucs2_position: int | None = None  # its index in the text (0-based, in Python characters)

    @property
    def ucs2_character_display(self) -> str:
        """The character that forced UCS-2 as a person can see it: invisible and space-like
        characters (a non-breaking space pasted from a word processor) by their code point."""
        char = self.ucs2_character
        if not char:
            return ""
        if char.isprintable() and not char.isspace():
            return char
        return f"U+{ord(char):04X}"


def _gsm7_cost(char: str) -> int:
    if char in GSM7_BASIC:
        return 1
    if char in GSM7_EXTENSION:
        return 2
    return 0  # not GSM-7


def _ucs2_cost(char: str) -> int:
    return 2 if ord(char) > 0xFFFF else 1  # a UTF-16 surrogate pair


def _parts(costs: list[int], single: int, per_part: int) -> tuple[int, int]:
    """(parts, characters left in the last part), splitting greedily: a character that does not
    fit whole into the current part starts the next one."""
    total = sum(costs)
    if total == 0:
        return 0, single
    if total <= single:
        return 1, single - total
    parts, used = 1, 0
    for cost in costs:
        if used + cost > per_part:
            parts, used = parts + 1, 0
        used += cost
    return parts, per_part - used


def sms_count(text: str) -> SmsCount:
    """Count ``text`` the way the network will send it."""
    forcing_index = next(
        (index for index, char in enumerate(text) if not _gsm7_cost(char)),
        None,
    )
    if forcing_index is None:
        encoding, costs = GSM7, [_gsm7_cost(char) for char in text]
    else:
        encoding, costs = UCS2, [_ucs2_cost(char) for char in text]
    single, multi = LIMITS[encoding]
    parts, remaining = _parts(costs, single, multi)
    return SmsCount(
        encoding=encoding,
        parts=parts,
        characters=sum(costs),
        per_part=single if parts <= 1 else multi,
        remaining=remaining,
        ucs2_character=text[forcing_index] if forcing_index is not None else "",
        ucs2_position=forcing_index,
    )


def sms_max_parts() -> int:
    return settings.SMS_MAX_PARTS


def sms_text_validate(text: str, *, max_parts: int | None = None) -> SmsCount:
    """Refuse a text that would be sent as more than ``max_parts`` SMS parts (SMS_MAX_PARTS, 10
    by default) with a message that says by how much and, for UCS-2, which character caused it.
    Returns the count of an acceptable text."""
    limit = sms_max_parts() if max_parts is None else max_parts
    count = sms_count(text)
    if count.parts <= limit:
        return count
    single, multi = LIMITS[count.encoding]
    allowed = single if limit == 1 else multi * limit
    over = count.characters - allowed
    message = ngettext(
        "This SMS would be sent as %(parts)d parts; at most %(max)d are allowed. "
        "Shorten it by %(over)d character.",
        "This SMS would be sent as %(parts)d parts; at most %(max)d are allowed. "
        "Shorten it by %(over)d characters.",
        over,
    ) % {"parts": count.parts, "max": limit, "over": over}
    if count.encoding == UCS2:
        message += " " + str(
            _(
                "It is sent as Unicode (%(per_part)d characters per part instead of 153) "
                "because of “%(character)s” at position %(position)d."
            )
            % {
                "per_part": multi,
                "character": count.ucs2_character_display,
                "position": (count.ucs2_position or 0) + 1,
            }
        )
    raise ValidationError(message, code="sms_too_long", params={"parts": count.parts})


def sms_counter_attrs() -> dict[str, str]:
    """The data attributes that turn a textarea into a live SMS counter (smscount.js): the
    translated texts it shows, and the part limit. Evaluate in the request's language."""
    return {
        "data-sms-counter": "",
        "data-sms-max-parts": str(sms_max_parts()),
        # {n}: a number the script fills in; it shows "<characters> · <parts>".
        "data-sms-characters-one": str(_("{n} character")),
        "data-sms-characters-many": str(_("{n} characters")),
        "data-sms-parts-one": str(_("{n} SMS part")),
        "data-sms-parts-many": str(_("{n} SMS parts")),
        # {character} and {position}: the character forcing UCS-2 and where it stands (1-based).
        "data-sms-text-ucs2": str(
            _(
                "“{character}” at position {position} is not in the SMS alphabet: "
                "the text is sent as Unicode, 70 characters per SMS instead of 160."
            )
        ),
        "data-sms-text-too-long": str(_("Too long: at most {max} SMS parts are allowed.")),
    }


class SmsCounterTextarea(forms.Textarea):
    """A textarea with the live SMS counter (``static/campaigns/smscount.js``, no inline script:
    it runs under the strict Content-Security-Policy). Forms use it for an SMS text field and
    validate with ``sms_text_validate``."""

    class Media:
        css = {"all": ["campaigns/smscount.css"]}
        js = ["campaigns/smscount.js"]

    def get_context(self, name, value, attrs):
        attrs = {**sms_counter_attrs(), **(attrs or {})}
        return super().get_context(name, value, attrs)
