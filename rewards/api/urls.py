from django.urls import path

from .views import PointsApi, PointsEntryListApi, RedemptionListApi, RewardListApi, RewardRedeemApi

urlpatterns = [
    path("points/", PointsApi.as_view(), name="api-points"),
    path("points/entries/", PointsEntryListApi.as_view(), name="api-points-entries"),
    path("rewards/", RewardListApi.as_view(), name="api-reward-list"),
    path("rewards/<dbid:reward_id>/redeem/", RewardRedeemApi.as_view(), name="api-reward-redeem"),
    path("redemptions/", RedemptionListApi.as_view(), name="api-redemption-list"),
]
