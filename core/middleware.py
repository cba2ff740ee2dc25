"""Middleware every request passes.

NulCharacterMiddleware: a URL path or query string holding a NUL character (``%00``) is refused
with 400 before any view runs: no database can look such a value up, and PostgreSQL refuses it
in text with an error. API paths answer JSON, the rest plain text.
"""

from __future__ import annotations

from urllib.parse import unquote

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.utils.translation import gettext as _


class NulCharacterMiddleware:
    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        query = request.META.get("QUERY_STRING", "")
        if "\x00" in request.path_info or "\x00" in unquote(query):
            message = _("The address may not contain NUL characters.")
            if request.path_info.startswith("/api/"):
                return JsonResponse({"detail": message}, status=400)
            return HttpResponseBadRequest(message, content_type="text/plain; charset=utf-8")
        return self.get_response(request)
