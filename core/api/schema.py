"""The OpenAPI schema, true to what the API answers (drf-spectacular's AutoSchema, extended).

- Every list a GET answers is paginated by core.api.pagination.DefaultPagination, so it is
  documented as ``{count, next, previous, results}`` with the ``page`` and ``page_size``
  parameters, not as a bare array (the API views are plain APIViews: spectacular cannot see
  their paginator by itself).
- Every operation documents the error answers it can give, each with its body: 400 (validation:
  messages per field, or a ``detail``), 401 (no or a wrong credential; with ``WWW-Authenticate``),
  403, 404, 429 (with ``Retry-After``), 422 (an ``Idempotency-Key`` reused for another request)
  on writes, and 415 where a body is read.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular import openapi
from drf_spectacular.plumbing import ResolvedComponent

from core.api.pagination import DefaultPagination

ERROR = ResolvedComponent(
    name="Error",
    type=ResolvedComponent.SCHEMA,
    object="Error",
    schema={
        "type": "object",
        "description": "A refusal: what went wrong, in the request's language.",
        "properties": {
            "detail": {"type": "string"},
            "code": {"type": "string", "description": "A stable code for some refusals."},
        },
        "required": ["detail"],
    },
)
VALIDATION_ERROR = ResolvedComponent(
    name="ValidationError",
    type=ResolvedComponent.SCHEMA,
    object="ValidationError",
    schema={
        "description": (
            "Refused input: messages per field ({field: [message, …]}, nested for nested "
            "fields, non_field_errors for the whole), or a detail."
        ),
        "anyOf": [
            {"type": "object", "additionalProperties": {}},
            {"type": "array", "items": {}},
        ],
    },
)

ERRORS = {
    "400": (VALIDATION_ERROR, _("The request was refused: see the messages.")),
    "401": (ERROR, _("No credential, or a wrong one (see WWW-Authenticate).")),
    "403": (ERROR, _("The login may not do this.")),
    "404": (ERROR, _("Not found, or not for this login.")),
    "429": (ERROR, _("Too many requests: try again after Retry-After seconds.")),
}
WRITE_ERRORS = {
    "415": (ERROR, _("The body is not JSON.")),
    "422": (ERROR, _("This Idempotency-Key was already used for another request.")),
}
HEADERS = {
    "401": {"WWW-Authenticate": {"schema": {"type": "string"}}},
    "429": {"Retry-After": {"schema": {"type": "integer"}}},
}


class AutoSchema(openapi.AutoSchema):
    def _get_paginator(self):
        paginator = super()._get_paginator()
        if paginator is None and self.method == "GET":
            return DefaultPagination()
        return paginator

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        errors = dict(ERRORS)
        if self.method in ("POST", "PUT", "PATCH"):
            errors.update(WRITE_ERRORS)
        for code, (component, description) in errors.items():
            self.registry.register_on_missing(component)
            documented = responses.get(code)
            if documented is None or "content" not in documented:
                responses[code] = {
                    "description": (documented or {}).get("description") or str(description),
                    "content": {"application/json": {"schema": component.ref}},
                }
            if code in HEADERS:
                responses[code].setdefault("headers", {}).update(HEADERS[code])
        return responses
