"""The 403, 404 and 500 pages: in the portal's look, or the admin's under /admin/, in the user's
language (LocaleMiddleware has activated it by the time a handler runs). Wired in config/urls.py
as handler403/handler404/handler500.

The 500 page must show even when the database is down: it is rendered with the request (for the
layout, the user and the CSP nonce) and, if that fails, from a template that needs nothing."""

from __future__ import annotations

import logging

from django.http import HttpRequest, HttpResponse, HttpResponseServerError
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

logger = logging.getLogger(__name__)

MESSAGES = {
    403: (
        _("You may not open this page"),
        _("Your login does not give access to it. If you think it should, ask the club."),
    ),
    404: (
        _("We cannot find that page"),
        _("The address may be mistyped, or the page has moved. Start again from the front page."),
    ),
    500: (
        _("Something went wrong on our side"),
        _("We have been told and are looking into it. Please try again in a moment."),
    ),
}


def _is_admin(request: HttpRequest) -> bool:
    try:
        return request.path.startswith(reverse("admin:index"))
    except Exception:  # an error page never fails on its own
        return request.path.startswith("/admin/")


def _render(request: HttpRequest, status: int) -> HttpResponse:
    title, message = MESSAGES[status]
    context = {"status": status, "title": title, "message": message}
    template = "errors/admin.html" if _is_admin(request) else "errors/portal.html"
    try:
        body = render_to_string(template, context, request=request)
    except Exception:
        if status != 500:
            raise
        logger.exception("The 500 page could not be rendered with its layout.")
        body = render_to_string("errors/plain.html", context)
    return HttpResponse(body, status=status)


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _render(request, 403)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _render(request, 404)


def server_error(request: HttpRequest) -> HttpResponse:
    try:
        return _render(request, 500)
    except Exception:
        logger.exception("The 500 page could not be rendered.")
        return HttpResponseServerError("500", content_type="text/plain; charset=utf-8")
