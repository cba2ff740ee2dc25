"""The member's points and rewards over the API: own data only (the member behind the login)."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api.pagination import DefaultPagination
from core.idempotency import HEADER, idempotent
from members.api.access import own_member
from members.models import Store
from rewards.models import PointsEntry, Reward
from rewards.selectors.catalogue import (
    redemption_list_for_member,
    reward_list_for_member,
)
from rewards.selectors.ledger import points_entries, points_summary
from rewards.services.redemptions import Delivery, reward_redeem

# Refusals that would reveal a reward the member cannot see (the catalogue does not list it).
HIDDEN_REFUSALS = frozenset({"reward_expired", "reward_not_yet", "wrong_tier", "not_in_segment"})


class TierOutput(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    threshold = serializers.IntegerField()
    benefits = serializers.ListField(child=serializers.CharField(), source="benefit_lines")


class ExpiringOutput(serializers.Serializer):
    points = serializers.IntegerField()
    expires_on = serializers.DateField()


class EntryOutput(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    points = serializers.IntegerField(source="amount")
    debt_change = serializers.IntegerField()
    reason = serializers.CharField(source="reason_display")
    created_at = serializers.DateTimeField()


class RewardOutput(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    name = serializers.CharField()
    description = serializers.CharField()
    points_cost = serializers.IntegerField()
    in_stock = serializers.SerializerMethodField()
    stock = serializers.IntegerField(allow_null=True)
    per_member_limit = serializers.IntegerField(allow_null=True)
    valid_until = serializers.DateTimeField(allow_null=True)
    picture = serializers.SerializerMethodField()

    def get_in_stock(self, reward: Reward) -> bool:
        return reward.stock is None or reward.stock > 0

    def get_picture(self, reward: Reward) -> str | None:
        return reward.picture.url if reward.picture else None


class RedemptionOutput(serializers.Serializer):
    id = serializers.IntegerField()
    reward = serializers.IntegerField(source="reward_id")
    reward_name = serializers.CharField(source="reward.name")
    status = serializers.CharField()
    points = serializers.IntegerField()
    voucher_code = serializers.CharField()
    voucher_valid_until = serializers.DateField(allow_null=True)
    created_at = serializers.DateTimeField()


class PointsSummaryOutput(serializers.Serializer):
    balance = serializers.IntegerField()
    debt = serializers.IntegerField()
    earned_12m = serializers.IntegerField()
    tier = TierOutput(allow_null=True)
    next_tier = TierOutput(allow_null=True)
    points_to_next_tier = serializers.IntegerField()
    progress_percent = serializers.IntegerField()
    expiring = ExpiringOutput(many=True)


class PointsApi(APIView):
    """GET: the logged-in member's balance, debt, tier, progress and expiring points."""

    @extend_schema(responses=PointsSummaryOutput)
    def get(self, request: Request) -> Response:
        return Response(PointsSummaryOutput(points_summary(member=own_member(request))).data)


class PointsEntryListApi(APIView):
    """GET: the logged-in member's ledger, newest first, paginated."""

    class FilterSerializer(serializers.Serializer):
        kind = serializers.ChoiceField(choices=PointsEntry.Kind.choices, required=False)

    @extend_schema(
        parameters=[FilterSerializer, OpenApiParameter("page", int)],
        responses=EntryOutput(many=True),
    )
    def get(self, request: Request) -> Response:
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        entries = points_entries(member=own_member(request), **filters.validated_data)
        paginator = DefaultPagination()
        page = paginator.paginate_queryset(entries, request, view=self)
        return paginator.get_paginated_response(EntryOutput(page, many=True).data)


class RewardListApi(APIView):
    """GET: the catalogue the logged-in member may see, filtered and paginated."""

    class FilterSerializer(serializers.Serializer):
        kind = serializers.ChoiceField(choices=Reward.Kind.choices, required=False)
        max_cost = serializers.IntegerField(required=False, min_value=0)
        affordable = serializers.BooleanField(required=False, default=False)

    @extend_schema(
        parameters=[FilterSerializer, OpenApiParameter("page", int)],
        responses=RewardOutput(many=True),
    )
    def get(self, request: Request) -> Response:
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        data = dict(filters.validated_data)
        member = own_member(request)
        if data.pop("affordable", False):
            data["affordable_with"] = points_summary(member=member).balance
        rewards = reward_list_for_member(member=member, **data)
        paginator = DefaultPagination()
        page = paginator.paginate_queryset(rewards, request, view=self)
        return paginator.get_paginated_response(RewardOutput(page, many=True).data)


class RewardRedeemApi(APIView):
    """POST: spend points on a reward. Requires an Idempotency-Key header: the same key
    returns the same redemption, once. A physical reward (kind "product") needs a delivery in
    the body: {"delivery": "post", "name", "address", "postcode", "city"} or
    {"delivery": "pickup", "pickup_store": "<store code>"}; other rewards need no body."""

    class DeliveryInput(serializers.Serializer):
        delivery = serializers.ChoiceField(choices=["post", "pickup"])
        name = serializers.CharField(required=False, allow_blank=True, max_length=150)
        address = serializers.CharField(required=False, allow_blank=True, max_length=200)
        postcode = serializers.CharField(required=False, allow_blank=True, max_length=10)
        city = serializers.CharField(required=False, allow_blank=True, max_length=80)
        pickup_store = serializers.CharField(required=False, allow_blank=True, max_length=40)

    @staticmethod
    def _delivery(request: Request) -> Delivery | None:
        if not request.data:
            return None  # the hot path: a voucher, no body to read
        given = RewardRedeemApi.DeliveryInput(data=request.data)
        given.is_valid(raise_exception=True)
        data = given.validated_data
        store = None
        if data.get("pickup_store"):
            store = Store.objects.filter(code=data["pickup_store"], is_active=True).first()
        return Delivery(
            method=data["delivery"],
            name=data.get("name", ""),
            address=data.get("address", ""),
            postcode=data.get("postcode", ""),
            city=data.get("city", ""),
            store=store,
        )

    @extend_schema(
        request=DeliveryInput,
        parameters=[OpenApiParameter(HEADER, str, OpenApiParameter.HEADER, required=True)],
        responses={201: RedemptionOutput},
    )
    @idempotent
    def post(self, request: Request, reward_id: int) -> Response:
        key = request.headers.get(HEADER, "").strip()
        if not key:
            return Response(
                {"detail": _("Send an Idempotency-Key header with each redemption.")},
                status=status.HTTP_400_BAD_REQUEST,
            )
        member = own_member(request)
        try:
            # The service reads the reward fresh inside its transaction: only the id is needed.
            redemption = reward_redeem(
                member=member,
                reward=Reward(pk=reward_id),
                idempotency_key=key,
                actor=request.user,
                delivery=self._delivery(request),
            )
        except Reward.DoesNotExist:
            raise NotFound from None
        except DjangoValidationError as error:
            if error.code in HIDDEN_REFUSALS:
                # A reward this member cannot see answers as one that does not exist: the
                # refusal must not tell that it exists, for whom, or from when.
                raise NotFound from None
            return Response(
                {"detail": error.messages[0], "code": error.code},
                status=status.HTTP_400_BAD_REQUEST,
            )
        return Response(RedemptionOutput(redemption).data, status=status.HTTP_201_CREATED)


class RedemptionListApi(APIView):
    """GET: the logged-in member's redemptions and voucher codes, newest first."""

    @extend_schema(
        parameters=[OpenApiParameter("page", int)], responses=RedemptionOutput(many=True)
    )
    def get(self, request: Request) -> Response:
        redemptions = redemption_list_for_member(member=own_member(request))
        paginator = DefaultPagination()
        page = paginator.paginate_queryset(redemptions, request, view=self)
        return paginator.get_paginated_response(RedemptionOutput(page, many=True).data)
