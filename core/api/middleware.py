"""API requests whose path or query string holds a NUL character: a JSON 400, never a 500.

PostgreSQL text cannot hold NUL (U+0000), so a member number or search term with one fails in
the database however the view uses it. Refused here, for every path under /api/, before any
view runs (hardening-auth's minimal fix for what the API fuzzer found).
"""

from __future__ import annotations

from urllib.parse import unquote

from django.http import HttpRequest, JsonResponse
from django.utils.translation import gettext as _


class ApiNulMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest):
        if request.path_info.startswith("/api/") and (
            "\x00" in request.path_info or "\x00" in unquote(request.META.get("QUERY_STRING", ""))
        ):
            return JsonResponse(
                {"detail": _("The address may not contain NUL characters.")}, status=400
            )
        return self.get_response(request)
