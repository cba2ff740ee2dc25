from django.urls import path

from . import views

app_name = "rewards"
urlpatterns = [
    path("points/", views.points, name="points"),
    path("rewards/", views.catalogue, name="catalogue"),
    path("rewards/<int:reward_id>/redeem/", views.redeem, name="redeem"),
    path("rewards/vouchers/", views.vouchers, name="vouchers"),
]
