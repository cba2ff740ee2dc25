from django.urls import path

from . import views, views_gamification

app_name = "rewards"
urlpatterns = [
    path("points/", views.points, name="points"),
    path("points/earn/", views.earn, name="earn"),
    path("rewards/", views.catalogue, name="catalogue"),
    path("rewards/<dbid:reward_id>/", views.reward_detail, name="detail"),
    path("rewards/<dbid:reward_id>/redeem/", views.redeem, name="redeem"),
    path("rewards/vouchers/", views.vouchers, name="vouchers"),
    path("rewards/benefits/", views_gamification.benefits, name="benefits"),
    path("rewards/badges/", views_gamification.badges, name="badges"),
    path("rewards/leaderboard/", views_gamification.leaderboard, name="leaderboard"),
]
