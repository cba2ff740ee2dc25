"""Club events in the portal and the staff check-in page."""

from django.urls import path

from .views import checkin, portal

app_name = "events"
urlpatterns = [
    path("events/", portal.event_list, name="list"),
    path("events/mine/", portal.my_registrations, name="mine"),
    path("events/<int:event_id>/", portal.event_detail, name="detail"),
    path("events/<int:event_id>/register/", portal.register, name="register"),
    path("events/<int:event_id>/cancel/", portal.cancel, name="cancel"),
    path("events/<int:event_id>/accept/", portal.accept, name="accept"),
    path("events/<int:event_id>/decline/", portal.decline, name="decline"),
    path(
        "events/registrations/<int:registration_id>/event.ics",
        portal.registration_ics_download,
        name="ics",
    ),
    path("events/registrations/<int:registration_id>/qr.svg", portal.registration_qr, name="qr"),
    path("staff/checkin/", checkin.checkin_events, name="checkin-events"),
    path("staff/checkin/<int:event_id>/", checkin.checkin_page, name="checkin"),
    path("staff/checkin/<int:event_id>/scan/", checkin.checkin_scan, name="checkin-scan"),
]
