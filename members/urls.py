from django.urls import path

from . import views, views_gdpr, views_portal, views_profile

app_name = "members"
urlpatterns = [
    path("language/", views.language_set, name="language-set"),
    path("profile/", views_profile.profile, name="profile"),
    path("preferences/", views_profile.preferences, name="preferences"),
    path("card/", views_portal.card, name="card"),
    path("card/sw.js", views_portal.card_service_worker, name="card-sw"),
    path("terms/", views_portal.club_page, {"kind": "terms"}, name="terms"),
    path("privacy/", views_portal.club_page, {"kind": "privacy"}, name="privacy"),
    path("purchases/", views_portal.purchases, name="purchases"),
    path("my-data/", views_gdpr.my_data, name="my-data"),
    path("my-data/download/", views_gdpr.my_data_download, name="my-data-download"),
    path("my-data/delete/", views_gdpr.my_data_delete, name="my-data-delete"),
]
