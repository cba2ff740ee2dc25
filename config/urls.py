from allauth.account.decorators import secure_admin_login
from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from core.api.views import api_not_found
from core.views import healthz

# The admin login goes through allauth's login: its rate limits and MFA apply to staff too.
admin.site.login = secure_admin_login(admin.site.login)  # type: ignore[method-assign]

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", include("config.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    re_path(r"^api/", api_not_found),  # hardening-auth: unmatched API paths get a JSON 404
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("", include("core.urls")),
    path("", include("members.urls")),
    path("", include("rewards.urls")),
    path("", include("feedback.urls")),
    path("", include("events.urls")),  # events (issue 13)
    path("", include("forums.urls")),  # forums (issue 14)
    path("m/", include("campaigns.urls")),  # campaigns: unsubscribe and tracking links
    path("webhooks/sms/", include("campaigns.webhooks.urls")),  # SMS receipts and replies
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

# portal (issue 11): error pages in the portal's (or, under /admin/, the admin's) look.
handler403 = "core.errors.permission_denied"
handler404 = "core.errors.page_not_found"
handler500 = "core.errors.server_error"
