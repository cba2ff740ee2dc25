from django.urls import path

from . import views, views_profile

app_name = "members"
urlpatterns = [
    path("language/", views.language_set, name="language-set"),
    path("profile/", views_profile.profile, name="profile"),
    path("preferences/", views_profile.preferences, name="preferences"),
]
