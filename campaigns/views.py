"""Pages and endpoints reached from messages, without login: unsubscribe (RFC 8058 one-click),
the open pixel and the click redirect."""

from __future__ import annotations

import base64

from django.core import signing
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils import translation
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from campaigns.services.tracking import (
    DONE,
    click_record,
    open_record,
    unsubscribe_confirm,
    unsubscribe_read,
)
from core.services import client_ip

PIXEL = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")


@csrf_exempt  # RFC 8058: the one-click POST comes from the mail provider, without cookies
@never_cache
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows a confirmation and changes nothing; POST withdraws the consent and answers
    directly (200, no redirect), whether from the page's button or a mail client's one-click."""
    try:
        target = unsubscribe_read(token=token)
    except signing.BadSignature:
        return render(request, "campaigns/unsubscribe_invalid.html", status=400)
    if target.member is not None and target.member.language:
        # The member's language, as in the message: nobody is logged in here.
        translation.activate(target.member.language)
        request.LANGUAGE_CODE = target.member.language
    if request.method == "POST":
        try:
            outcome = unsubscribe_confirm(token=token, ip_address=client_ip(request))
        except signing.BadSignature:
            return render(request, "campaigns/unsubscribe_invalid.html", status=400)
        return render(
            request,
            "campaigns/unsubscribe_done.html",
            {"already": outcome != DONE, "channel": target.channel},
        )
    return render(
        request, "campaigns/unsubscribe_confirm.html", {"channel": target.channel, "token": token}
    )


@never_cache
@require_GET
def open_pixel(request: HttpRequest, token: str) -> HttpResponse:
    open_record(token=token)
    return HttpResponse(PIXEL, content_type="image/gif")


@never_cache
@require_GET
def click(request: HttpRequest, token: str) -> HttpResponse:
    return HttpResponseRedirect(click_record(token=token))
