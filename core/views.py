from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from .health import health_check
from .home import home_cards


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    checks = health_check()
    healthy = all(checks.values())
    body = {"status": "ok" if healthy else "unavailable"} | {
        name: "ok" if ok else "down" for name, ok in checks.items()
    }
    return JsonResponse(body, status=200 if healthy else 503)


def home(request: HttpRequest) -> HttpResponse:
    """The front page: what the club offers to visitors, the member's own page to members."""
    if request.user.is_authenticated:
        return member_home(request)
    return render(request, "portal/welcome.html")


@login_required
def member_home(request: HttpRequest) -> HttpResponse:
    """The member's own page, leading with the club: the cards every app registers in
    core.home (card, points, vouchers, rewards, challenges…). Also at /home/, which sends
    visitors to log in first. A login not yet linked to a member gets a step to take instead."""
    # The login's member through the reverse one-to-one accessor: core names no app.
    member = getattr(request.user, "member", None)
    cards = home_cards(request, member) if member is not None else []
    return render(request, "portal/home.html", {"member": member, "cards": cards})
