from django.conf import settings
from django.templatetags.static import static

from .navigation import portal_nav_links


def club(request):
    logo = settings.CLUB_LOGO
    if not logo.startswith(("http://", "https://", "/")):
        logo = static(logo)
    return {
        "CLUB_NAME": settings.CLUB_NAME,
        "CLUB_LOGO_URL": logo,
        "portal_nav": portal_nav_links(request),
    }
