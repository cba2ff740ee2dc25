"""Merge fields, content checks and rendering."""

from __future__ import annotations

import re

import pytest
from django.core.exceptions import ValidationError

from campaigns.services.content import (
    email_personalise,
    email_skeleton,
    merge,
    sms_render,
    template_check,
    variant_check,
)
from campaigns.services.rules import merge_context_for
from tests.campaigns.factories import VariantFactory
from tests.members.factories import MemberFactory, StoreFactory


def test_unknown_fields_and_broken_syntax_are_refused_naming_the_line():
    with pytest.raises(ValidationError, match="line 2: unknown merge field “password”"):
        template_check("Hej {{ first_name }}\nDitt lösen: {{ password }}", where="Text")
    with pytest.raises(ValidationError, match=re.escape("line 1: “{{ member.user.email }}”")):
        template_check("{{ member.user.email }}", where="Text")
    with pytest.raises(ValidationError, match="line 3: unbalanced braces"):
        template_check("a\nb\nHej {{ first_name", where="Text")
    with pytest.raises(ValidationError, match="line 1: unbalanced braces"):
        template_check("{% load secrets %}", where="Text")


def test_merge_escapes_in_html_and_knows_only_its_fields():
    assert merge("Hej {{ first_name }}", {"first_name": "<b>Kim</b>"}, escape=True) == (
        "Hej &lt;b&gt;Kim&lt;/b&gt;"
    )
    assert merge("{{ first_name }}", {"first_name": "Kim"}) == "Kim"


@pytest.mark.django_db
def test_a_variant_with_a_bad_block_or_a_long_sms_is_refused():
    variant = VariantFactory.build(
        blocks_sv=[{"type": "button", "text": "Gå", "url": "javascript:x"}]
    )
    with pytest.raises(ValidationError, match="https://"):
        variant_check(variant=variant, channel="email")
    variant = VariantFactory.build(sms_text_sv="x" * 2000)
    with pytest.raises(ValidationError, match="at most 10 are allowed"):
        variant_check(variant=variant, channel="sms")


@pytest.mark.django_db
def test_the_email_has_an_html_and_a_plain_text_part_with_the_member_fields():
    member = MemberFactory(first_name="Kim", preferred_store=StoreFactory(name="Gallerian"))
    from django.utils import timezone

    context = merge_context_for(member=member, now=timezone.now())
    assert context["first_name"] == "Kim" and context["store"] == "Gallerian"
    variant = VariantFactory.build()
    skeleton = email_skeleton(content=variant.content("sv"), language="sv")
    rendered = email_personalise(
        skeleton,
        context=context,
        click_urls=["https://x.test/c/1"],
        open_url="https://x.test/o.gif",
        unsubscribe_url="https://x.test/u/1",
    )
    assert rendered.subject == "Vårnyheter för Kim"
    assert "<h1" in rendered.html and "Hej Kim!" in rendered.html
    assert "Hej Kim!" in rendered.text and "https://x.test/c/1" in rendered.text
    assert "https://x.test/u/1" in rendered.text
    assert "{{" not in rendered.html and "__LOJAL" not in rendered.html
    text = sms_render(content=variant.content("en"), context=context, language="en")
    assert text == "Hi Kim, spring sale at Gallerian!\nReply STOP to unsubscribe"
