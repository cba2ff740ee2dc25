"""Routes of the SMS providers' webhooks; config/urls.py mounts them at /webhooks/sms/."""

from django.urls import path

from campaigns.webhooks import views

app_name = "sms_webhooks"
urlpatterns = [
    path("46elks/<str:secret>/receipt/", views.elks_receipt, name="elks_receipt"),
    path("46elks/<str:secret>/inbound/", views.elks_inbound, name="elks_inbound"),
    path("twilio/receipt/", views.twilio_receipt, name="twilio_receipt"),
    path("twilio/inbound/", views.twilio_inbound, name="twilio_inbound"),
]
