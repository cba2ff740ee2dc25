"""SMS segment counting: GSM-7 160/153, UCS-2 70/67, extension characters and emoji count as two
and are never split between parts; the character forcing UCS-2 is named; a text over the part
limit is refused with a translated message; the browser's live counter (smscount.js) gives the
same answers as the Python count and runs under the strict CSP."""

from __future__ import annotations

import math
import random

import pytest
from django import forms
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.template import engines
from django.urls import path
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from campaigns.smscount import (
    GSM7,
    GSM7_BASIC,
    GSM7_EXTENSION,
    UCS2,
    SmsCounterTextarea,
    sms_count,
    sms_counter_attrs,
    sms_text_validate,
)
from tests.test_browser import ARTIFACTS, browser_page  # noqa: F401  (the Chromium fixture)

SCREENSHOTS = ARTIFACTS


@pytest.mark.parametrize(
    ("text", "encoding", "parts", "characters"),
    [
        ("", GSM7, 0, 0),
        ("a" * 160, GSM7, 1, 160),
        ("a" * 161, GSM7, 2, 161),
        ("a" * 306, GSM7, 2, 306),
        ("a" * 307, GSM7, 3, 307),
        ("€" * 80, GSM7, 1, 160),  # extension characters count as two
        ("€" * 81, GSM7, 2, 162),
        ("{[~]}^|\\", GSM7, 1, 16),
        # A part never splits an escape and its character: 306 septets, yet three parts.
        ("a" * 152 + "€" + "a" * 152, GSM7, 3, 306),
        ("Hej Åsa! Dina 250 poäng går ut 31/12. Öppet @ Ängby: Ü, Ñ, É, ß.", GSM7, 1, 64),
        ("Rad ett\nRad två\r\n", GSM7, 1, 17),
        ("ł" + "a" * 69, UCS2, 1, 70),
        ("a" * 70 + "ł", UCS2, 2, 71),
        ("a" * 134, GSM7, 1, 134),
        ("ç" + "a" * 133, UCS2, 2, 134),  # ç is not GSM-7 (Ç is)
        ("😀" * 35, UCS2, 1, 70),  # emoji: two UTF-16 units each
        ("😀" * 36, UCS2, 2, 72),
        ("😀" * 34 + "a", UCS2, 1, 69),
        ("😀" * 35 + "a", UCS2, 2, 71),
        ("a" + "😀" * 33 + "b", UCS2, 1, 68),
    ],
)
def test_counts_as_the_network_sends(text, encoding, parts, characters):
    count = sms_count(text)

    assert (count.encoding, count.parts, count.characters) == (encoding, parts, characters)


def test_the_emoji_that_would_straddle_two_parts_starts_the_next():
    # 33 emoji fill 66 of a part's 67 units; the 34th cannot be split, so it starts part two.
    count = sms_count("😀" * 36)

    assert count.parts == 2
    assert count.per_part == 67
    assert count.remaining == 67 - 3 * 2


def test_remaining_characters_in_the_last_part():
    assert sms_count("a" * 150).remaining == 10
    assert sms_count("a" * 161).remaining == 153 - 8
    assert sms_count("").remaining == 160


def test_names_the_first_character_that_forces_ucs2():
    count = sms_count("Hej Anna! Din förmån väntar — välkommen 🎉")

    assert count.encoding == UCS2
    assert count.ucs2_character == "—"
    assert count.ucs2_position == 28
    assert count.ucs2_character_display == "—"


def test_an_invisible_character_is_named_by_its_code_point():
    count = sms_count("Pris:\u00a0100 kr")  # a non-breaking space pasted from a document

    assert count.encoding == UCS2
    assert count.ucs2_character == "\u00a0"
    assert count.ucs2_character_display == "U+00A0"
    assert sms_count("Hej\tdu").ucs2_character_display == "U+0009"


def test_gsm7_text_names_no_character():
    count = sms_count("Hej!")

    assert count.ucs2_character == ""
    assert count.ucs2_position is None
    assert count.ucs2_character_display == ""


GSM_ONE = sorted(GSM7_BASIC)
GSM_TWO = sorted(GSM7_EXTENSION)


@given(st.text(alphabet=st.sampled_from(GSM_ONE), max_size=2000))
def test_plain_gsm7_parts_follow_the_formula(text):
    count = sms_count(text)

    expected = 0 if not text else 1 if len(text) <= 160 else math.ceil(len(text) / 153)
    assert (count.encoding, count.characters, count.parts) == (GSM7, len(text), expected)


@given(st.text(alphabet=st.sampled_from(GSM_ONE + GSM_TWO + ["ł", "😀", "д"]), max_size=1500))
def test_parts_hold_the_text_and_none_is_wasted(text):
    count = sms_count(text)
    single = 160 if count.encoding == GSM7 else 70
    per_part = 153 if count.encoding == GSM7 else 67

    if count.parts <= 1:
        assert count.characters <= single
    else:
        assert count.characters > single
        # Each part but the last is full but for at most one unit (a two-unit character that
        # did not fit), and the last is not empty.
        assert (per_part - 1) * (count.parts - 1) < count.characters <= per_part * count.parts
    assert count.remaining >= 0


# --- The part limit --------------------------------------------------------------------------


def test_ten_parts_are_accepted():
    count = sms_text_validate("a" * 1530)

    assert count.parts == 10


def test_an_eleventh_part_is_refused_saying_by_how_much():
    with pytest.raises(ValidationError) as caught:
        sms_text_validate("a" * 1532)

    assert caught.value.code == "sms_too_long"
    assert caught.value.messages == [
        "This SMS would be sent as 11 parts; at most 10 are allowed. Shorten it by 2 characters."
    ]


def test_a_unicode_text_is_refused_naming_the_character(settings):
    settings.SMS_MAX_PARTS = 2

    with pytest.raises(ValidationError) as caught:
        sms_text_validate("Hej 🎉 " + "a" * 140)

    (message,) = caught.value.messages
    assert "3 parts; at most 2 are allowed. Shorten it by 13 characters." in message
    assert "because of “🎉” at position 5" in message


def test_the_refusal_is_in_swedish_for_a_swedish_user():
    with translation.override("sv"), pytest.raises(ValidationError) as caught:
        sms_text_validate("ł" * 700)

    (message,) = caught.value.messages
    assert message.startswith("SMS:et skulle skickas som 11 delar; högst 10 är tillåtna.")
    assert "på grund av ”ł” på plats 1" in message


def test_the_counter_texts_come_translated():
    with translation.override("sv"):
        attrs = sms_counter_attrs()

    assert attrs["data-sms-characters-many"] == "{n} tecken"
    assert attrs["data-sms-parts-one"] == "{n} SMS-del"
    assert attrs["data-sms-parts-many"] == "{n} SMS-delar"
    assert attrs["data-sms-max-parts"] == "10"


class SmsForm(forms.Form):
    text = forms.CharField(widget=SmsCounterTextarea, label="SMS text")

    def clean_text(self):
        sms_text_validate(self.cleaned_data["text"])
        return self.cleaned_data["text"]


def test_the_widget_renders_the_counter_attributes_and_its_script():
    html = str(SmsForm()["text"])

    assert "data-sms-counter" in html
    assert 'data-sms-max-parts="10"' in html
    assert 'data-sms-parts-many="{n} SMS parts"' in html
    assert "campaigns/smscount.js" in str(SmsForm().media)


def test_a_form_refuses_an_overlong_text():
    form = SmsForm(data={"text": "€" * 800})

    assert not form.is_valid()
    assert "11 parts" in form.errors["text"][0]


# --- The live counter in a browser -----------------------------------------------------------

PAGE = """{% load static %}<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<link rel="stylesheet" href="{% static 'css/portal.css' %}">
<link rel="icon" href="data:,"><title>SMS</title>{{ form.media.render_css|join:"" }}</head>
<body><main class="container"><form><div class="field">
<label for="id_text">SMS text</label>{{ form.text }}</div></form></main>
{{ form.media.render_js|join:"" }}</body></html>"""


def sms_page(request):
    with translation.override(request.GET.get("lang", "en")):
        html = engines["django"].from_string(PAGE).render({"form": SmsForm()}, request)
    return HttpResponse(html)


urlpatterns = [path("sms-counter/", sms_page)]


def _texts() -> list[str]:
    rng = random.Random(12)
    alphabet = [*GSM_ONE, *GSM_TWO, "ł", "😀", "д", "\u00a0", "—"]
    fixed = [
        "",
        "a" * 160,
        "a" * 161,
        "€" * 81,
        "a" * 152 + "€" + "a" * 152,
        "a" * 70 + "ł",
        "😀" * 36,
        "Pris:\u00a0100 kr",
        "Hej Anna! Din förmån väntar — välkommen 🎉",
    ]
    randoms = ["".join(rng.choice(alphabet) for _ in range(rng.randint(1, 400))) for _ in range(60)]
    return fixed + randoms


def _python_view(text: str) -> dict:
    count = sms_count(text)
    return {
        "encoding": count.encoding,
        "parts": count.parts,
        "characters": count.characters,
        "remaining": count.remaining,
        "ucs2Character": count.ucs2_character,
        "ucs2Position": count.ucs2_position,
    }


@pytest.mark.chromium
@pytest.mark.urls(__name__)
def test_the_browser_counter_agrees_with_python_and_points_at_the_character(
    browser_page,  # noqa: F811
    live_server,
):
    page = browser_page
    page.goto(f"{live_server.url}/sms-counter/")
    page.wait_for_function("() => window.lojalSmsCount !== undefined")

    texts = _texts()
    in_browser = page.evaluate(
        "(texts) => texts.map((t) => { const c = window.lojalSmsCount(t);"
        " return {encoding: c.encoding, parts: c.parts, characters: c.characters,"
        " remaining: c.remaining, ucs2Character: c.ucs2Character,"
        " ucs2Position: c.ucs2Position}; })",
        texts,
    )
    assert in_browser == [_python_view(text) for text in texts]

    textarea = page.locator("textarea[data-sms-counter]")
    textarea.fill("a" * 161)
    assert page.locator(".sms-counter-summary").inner_text() == "161 characters · 2 SMS parts"
    assert page.locator(".sms-counter-ucs2").is_hidden()

    textarea.fill("Hej Anna! Din förmån väntar — välkommen")
    warning = page.locator(".sms-counter-ucs2")
    assert warning.is_visible()
    assert warning.inner_text() == (
        "“—” at position 29 is not in the SMS alphabet: the text is sent as Unicode, "
        "70 characters per SMS instead of 160."
    )
    assert page.locator(".sms-counter-summary").inner_text() == "39 characters · 1 SMS part"
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "sms-counter-1280.png"), full_page=True)
    warning.click()  # selects the offending character in the text
    assert (
        page.evaluate(
            "() => { const t = document.querySelector('textarea');"
            " return t.value.slice(t.selectionStart, t.selectionEnd); }"
        )
        == "—"
    )

    textarea.fill("€" * 800)
    assert page.locator(".sms-counter-too-long").inner_text() == (
        "Too long: at most 10 SMS parts are allowed."
    )
    assert page.evaluate("() => document.querySelector('textarea').validity.customError")
    assert page.problems == []


@pytest.mark.chromium
@pytest.mark.urls(__name__)
def test_the_counter_speaks_swedish_on_a_narrow_screen(browser_page, live_server):  # noqa: F811
    page = browser_page
    page.set_viewport_size({"width": 390, "height": 800})
    page.goto(f"{live_server.url}/sms-counter/?lang=sv")
    textarea = page.locator("textarea[data-sms-counter]")
    textarea.fill("Hej 🎉 " + "a" * 70)

    assert page.locator(".sms-counter-summary").inner_text() == "77 tecken · 2 SMS-delar"
    assert "”🎉” på plats 5" in page.locator(".sms-counter-ucs2").inner_text()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "sms-counter-390.png"), full_page=True)
    assert page.problems == []
