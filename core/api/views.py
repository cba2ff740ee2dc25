"""What the API answers outside its views."""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt


@csrf_exempt  # it writes nothing; a POST to an unknown API path is a 404, not a CSRF 403
def api_not_found(request: HttpRequest, *args, **kwargs) -> JsonResponse:
    """Any path under /api/ that no route matches (a negative or malformed id among them): a JSON
    404 like the API's own, not the portal's HTML page."""
    return JsonResponse({"detail": _("Not found.")}, status=404)
