"""The REST API under /api/v1/: each app contributes its own routes."""

from django.urls import include, path

urlpatterns = [
    path("", include("members.api.urls")),
    path("", include("rewards.api.urls")),
    path("", include("feedback.api.urls")),
    path("", include("events.api.urls")),  # events (issue 13)
    path("", include("forums.api.urls")),  # forums (issue 14)
]
