"""The parsers of every API endpoint. JSON: a body nested deeper than
settings.LOJAL_JSON_MAX_DEPTH, or holding a NUL character in any string (key or value), is
refused with 400 and a message, before a view or a service sees it; the form parsers refuse NUL
in any field too. PostgreSQL cannot store NUL
in text, and Python's json module recurses once per level of nesting, so neither reaches a 500.
"""

from __future__ import annotations

import codecs
import json
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _
from rest_framework import parsers
from rest_framework.exceptions import ParseError


def json_check(value: Any, *, max_depth: int) -> None:
    """Raise ParseError when `value` nests deeper than `max_depth` or holds a NUL character.
    Iterative, so a deep value cannot exhaust the stack here either."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, str):
            if "\x00" in item:
                raise ParseError(_("Text in the request may not contain NUL characters."))
            continue
        if not isinstance(item, dict | list):
            continue
        if depth > max_depth:
            raise ParseError(
                _("The request is nested more than %(limit)d levels deep.") % {"limit": max_depth}
            )
        if isinstance(item, dict):
            for key, child in item.items():
                stack.append((key, depth))
                stack.append((child, depth + 1))
        else:
            stack.extend((child, depth + 1) for child in item)


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser with a nesting limit and no NUL characters."""

    def parse(self, stream, media_type=None, parser_context=None):
        parser_context = parser_context or {}
        encoding = parser_context.get("encoding", settings.DEFAULT_CHARSET)
        max_depth = settings.LOJAL_JSON_MAX_DEPTH
        try:
            text = codecs.getreader(encoding)(stream).read()
        except (UnicodeDecodeError, LookupError) as exc:
            raise ParseError(_("The request body is not valid text.")) from exc
        try:
            data = json.loads(text, parse_constant=self._refuse_constant)
        except RecursionError as exc:  # the C parser recurses once per level
            raise ParseError(
                _("The request is nested more than %(limit)d levels deep.") % {"limit": max_depth}
            ) from exc
        except ValueError as exc:
            raise ParseError(
                _("The request body is not valid JSON: %(error)s") % {"error": exc}
            ) from exc
        json_check(data, max_depth=max_depth)
        return data

    @staticmethod
    def _refuse_constant(name: str):
        raise ValueError(_("%(name)s is not a number JSON allows.") % {"name": name})


def _form_check(data) -> None:
    for values in data.lists() if hasattr(data, "lists") else data.items():
        for value in values[1] if isinstance(values[1], list) else [values[1]]:
            if isinstance(value, str) and "\x00" in value:
                raise ParseError(_("Text in the request may not contain NUL characters."))
        if "\x00" in values[0]:
            raise ParseError(_("Text in the request may not contain NUL characters."))


class FormParser(parsers.FormParser):
    """DRF's form parser, refusing NUL characters in names and values."""

    def parse(self, stream, media_type=None, parser_context=None):
        data = super().parse(stream, media_type, parser_context)
        _form_check(data)
        return data


class MultiPartParser(parsers.MultiPartParser):
    """DRF's multipart parser, refusing NUL characters in field names and values."""

    def parse(self, stream, media_type=None, parser_context=None):
        result = super().parse(stream, media_type, parser_context)
        _form_check(result.data)
        return result
