"""Request bodies the API can store: no NUL characters, no absurd nesting.

PostgreSQL text cannot hold NUL (U+0000): a string with one reaches the database as a DataError
(500) wherever it is used, in a lookup as much as in a write. JSON nested deeper than Python's
recursion limit makes the standard decoder raise RecursionError, which DRF's parser does not
turn into a 400. Both are refused here, once, for every API view: a 400 with a message, before
any view or serializer sees the data. (hardening-auth's minimal fix for what the API fuzzer
found; the issue's input-validation work may move or widen it.)
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from rest_framework import parsers
from rest_framework.exceptions import ParseError

MAX_DEPTH = 32


def refuse_unstorable(data, depth: int = 0) -> None:
    """Raise ParseError if `data` (parsed JSON or form data) nests deeper than MAX_DEPTH or holds
    a NUL character in any key or string."""
    if depth > MAX_DEPTH:
        raise ParseError(_("The request body is nested too deeply."))
    if isinstance(data, str):
        if "\x00" in data:
            raise ParseError(_("Text may not contain NUL characters."))
    elif isinstance(data, dict):
        for key, value in data.items():
            refuse_unstorable(key, depth + 1)
            refuse_unstorable(value, depth + 1)
    elif isinstance(data, list | tuple):
        for value in data:
            refuse_unstorable(value, depth + 1)
    elif hasattr(data, "lists"):  # a QueryDict from a form
        for key, values in data.lists():
            refuse_unstorable(key, depth + 1)
            refuse_unstorable(values, depth + 1)


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError(_("The request body is nested too deeply.")) from None
        refuse_unstorable(data)
        return data


class FormParser(parsers.FormParser):
    def parse(self, stream, media_type=None, parser_context=None):
        data = super().parse(stream, media_type, parser_context)
        refuse_unstorable(data)
        return data


class MultiPartParser(parsers.MultiPartParser):
    def parse(self, stream, media_type=None, parser_context=None):
        result = super().parse(stream, media_type, parser_context)
        refuse_unstorable(result.data)
        return result
