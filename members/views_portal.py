"""The member's card and purchases in the portal (issue 11). A member only ever sees their own
member: every page starts from the login's member (member_for_login)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from core.markup import markdown_render
from members.hooks import purchase_points_for
from members.selectors.club_pages import club_page_get
from members.selectors.profiles import member_for_login
from members.selectors.purchases import purchase_list_for_member

PURCHASES_PAGE_SIZE = 20


@login_required
@require_GET
def card(request: HttpRequest) -> HttpResponse:
    """The membership card sized for the till: bright, large, the number as barcode and QR
    code drawn into the page itself (no request for an image), so it shows offline once loaded."""
    member = member_for_login(user=request.user)
    if member is None:
        return redirect("members:profile")
    response = render(request, "members/portal/card.html", {"member": member})
    # The browser may show it again from its cache without the network (private: never shared).
    response["Cache-Control"] = "private, max-age=86400"
    return response


@login_required
@require_GET
def purchases(request: HttpRequest) -> HttpResponse:
    """The member's purchases online and in store: store, channel, items and the points each
    earned or took back. A page costs the same few queries whatever its length."""
    member = member_for_login(user=request.user)
    if member is None:
        return redirect("members:profile")
    page = Paginator(purchase_list_for_member(member=member), PURCHASES_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    points = purchase_points_for(purchase_ids=[purchase.pk for purchase in page])
    rows = [{"purchase": purchase, "points": points.get(purchase.pk)} for purchase in page]
    return render(request, "members/portal/purchases.html", {"page": page, "rows": rows})


@require_GET
def club_page(request: HttpRequest, kind: str) -> HttpResponse:
    """The membership terms or the privacy notice, as the club wrote them (open to visitors)."""
    page = club_page_get(kind=kind)
    if page is None:
        raise Http404
    return render(
        request,
        "members/portal/club_page.html",
        {"page": page, "body_html": markdown_render(page.body, headings=True)},
    )


@require_GET
def card_service_worker(request: HttpRequest) -> HttpResponse:
    """The card page's service worker, served from /card/ so that its scope covers the card."""
    response = render(
        request, "members/portal/card-sw.js", content_type="text/javascript; charset=utf-8"
    )
    response["Cache-Control"] = "no-cache"
    return response
