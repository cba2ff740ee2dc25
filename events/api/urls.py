from django.urls import path

from .views import (
    CheckinApi,
    EventCancelApi,
    EventDetailApi,
    EventListApi,
    EventRegisterApi,
    RegistrationIcsApi,
    RegistrationListApi,
)

urlpatterns = [
    path("events/", EventListApi.as_view(), name="api-event-list"),
    path("events/checkin/", CheckinApi.as_view(), name="api-event-checkin"),
    path("events/registrations/", RegistrationListApi.as_view(), name="api-registration-list"),
    path(
        "events/registrations/<int:registration_id>/ics",
        RegistrationIcsApi.as_view(),
        name="api-registration-ics",
    ),
    path("events/<int:event_id>/", EventDetailApi.as_view(), name="api-event-detail"),
    path("events/<int:event_id>/register/", EventRegisterApi.as_view(), name="api-event-register"),
    path("events/<int:event_id>/cancel/", EventCancelApi.as_view(), name="api-event-cancel"),
]
