from django.urls import path

from .members import MemberDetailApi, MemberListApi
from .purchases import PurchaseListApi
from .views import MeApi

urlpatterns = [
    path("me/", MeApi.as_view(), name="api-me"),
    path("members/", MemberListApi.as_view(), name="api-member-list"),
    path("members/<str:number>/", MemberDetailApi.as_view(), name="api-member-detail"),
    path("purchases/", PurchaseListApi.as_view(), name="api-purchase-list"),
]
