"""The one-click stop link in forum e-mail: GET shows what it stops and a button; POST stops it.
The signed token is the authority (no login needed), so the POST is exempt from the CSRF check:
a forger would need the token, and it can only turn one kind of forum e-mail off
(List-Unsubscribe-Post one-click, RFC 8058)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from forums.models import Notification
from forums.services.digest import email_kind_stop, stop_token_read


@csrf_exempt
@require_http_methods(["GET", "POST"])
def stop(request: HttpRequest, token: str) -> HttpResponse:
    found = stop_token_read(token)
    if found is None:
        return render(request, "forums/stop.html", {"invalid": True}, status=400)
    kind = Notification.Kind(found[1]).label
    done = request.method == "POST" and email_kind_stop(token=token)
    return render(request, "forums/stop.html", {"kind": kind, "done": done, "token": token})
