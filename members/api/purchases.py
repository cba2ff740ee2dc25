"""Purchases from tills, web shops and other systems: POST a batch, GET a filtered list.

POST /api/v1/purchases/ takes one purchase or a list of up to 1 000 (members.add_purchase,
usually an integration token; Idempotency-Key honoured). members.services.purchases.
purchases_ingest checks every row, stores the valid ones set-based in one transaction and
reports each refused row with its index and messages per field; an unexpected failure stores
nothing. GET lists purchases for staff
with members.view_purchase.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    inline_serializer,
)
from rest_framework import serializers, status
from rest_framework.permissions import DjangoModelPermissions
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api.pagination import DefaultPagination
from core.idempotency import idempotent
from core.validators import DateWindowValidator
from members.models import Purchase
from members.selectors.purchases import purchase_list
from members.services.purchases import INGEST_MAX_ROWS, purchases_ingest


class PurchaseModelPermissions(DjangoModelPermissions):
    """add_purchase to POST, view_purchase to read."""

    perms_map = {
        **DjangoModelPermissions.perms_map,
        "GET": ["%(app_label)s.view_%(model_name)s"],
        "HEAD": ["%(app_label)s.view_%(model_name)s"],
        "OPTIONS": ["%(app_label)s.view_%(model_name)s"],
    }


class PurchaseLineRow(serializers.Serializer):
    product = serializers.CharField(max_length=200)
    category = serializers.CharField(max_length=100, required=False, allow_blank=True)
    quantity = serializers.DecimalField(max_digits=10, decimal_places=3, default=1)
    amount = serializers.DecimalField(max_digits=12, decimal_places=2)


class PurchaseRow(serializers.Serializer):
    """One purchase as sent (documents the schema; the service checks every value)."""

    member = serializers.CharField(help_text="Membership number or e-mail address.")
    purchased_at = serializers.DateTimeField(help_text="ISO 8601, e.g. 2026-03-01T14:05:00+01:00.")
    amount = serializers.DecimalField(
        max_digits=12,
        decimal_places=2,
        help_text="Not 0. Negative for a return, which then needs original_external_id.",
    )
    currency = serializers.CharField(
        required=False, help_text="One of settings.CURRENCIES; default the club's currency."
    )
    channel = serializers.ChoiceField(choices=Purchase.Channel.choices)
    store = serializers.CharField(
        required=False, allow_null=True, help_text="Store code; required for channel 'store'."
    )
    source = serializers.CharField(max_length=40, help_text="The sending system, e.g. pos.")
    external_id = serializers.CharField(
        max_length=100, help_text="The purchase's id in that system; stored once per source."
    )
    lines = PurchaseLineRow(many=True, required=False, help_text="Must add up to the amount.")
    original_external_id = serializers.CharField(
        required=False, help_text="For a return: the external id of the purchase returned."
    )
    original_source = serializers.CharField(
        required=False, help_text="For a return from another source than the original's."
    )


class RowResult(serializers.Serializer):
    index = serializers.IntegerField(help_text="0-based position of the row in the request.")
    status = serializers.ChoiceField(choices=["created", "already_recorded", "error"])
    id = serializers.IntegerField(required=False)
    external_id = serializers.CharField(required=False)
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()), required=False
    )


IngestOutput = inline_serializer(
    name="PurchaseIngestResult",
    fields={
        "created": serializers.IntegerField(),
        "already_recorded": serializers.IntegerField(),
        "errors": serializers.IntegerField(),
        "results": RowResult(many=True),
    },
)


class PurchaseOutput(serializers.Serializer):
    id = serializers.IntegerField()
    member = serializers.CharField(source="member.number")
    purchased_at = serializers.DateTimeField()
    amount = serializers.DecimalField(max_digits=12, decimal_places=2)
    currency = serializers.CharField()
    channel = serializers.CharField()
    store = serializers.CharField(source="store.code", allow_null=True)
    source = serializers.CharField()
    external_id = serializers.CharField()
    original_external_id = serializers.CharField(source="original.external_id", allow_null=True)
    lines = PurchaseLineRow(many=True)
    created_at = serializers.DateTimeField()


def _row_result(result) -> dict:
    row: dict = {"index": result.index, "status": result.status}
    if result.purchase is not None:
        row["id"] = result.purchase.pk
        row["external_id"] = result.purchase.external_id
    if result.errors:
        row["errors"] = result.errors
    return row


class PurchaseListApi(APIView):
    """GET: purchases for staff. POST: record one purchase or a batch from a till or web shop."""

    permission_classes = [PurchaseModelPermissions]
    queryset = Purchase.objects.none()  # tells DjangoModelPermissions the model

    class FilterSerializer(serializers.Serializer):
        member = serializers.CharField(
            required=False, allow_blank=True, max_length=20, help_text="Membership number."
        )
        channel = serializers.ChoiceField(choices=Purchase.Channel.choices, required=False)
        store = serializers.CharField(
            required=False, allow_blank=True, max_length=40, help_text="Store code."
        )
        source = serializers.CharField(required=False, allow_blank=True, max_length=40)
        date_from = serializers.DateField(
            required=False, help_text="First day, inclusive.", validators=[DateWindowValidator()]
        )
        date_to = serializers.DateField(
            required=False, help_text="Last day, inclusive.", validators=[DateWindowValidator()]
        )

        def validate(self, attrs):
            start, end = attrs.get("date_from"), attrs.get("date_to")
            if start and end and start > end:
                raise serializers.ValidationError(
                    {"date_to": [_("The last day must not be before the first day.")]}
                )
            return attrs

    @extend_schema(
        parameters=[FilterSerializer, OpenApiParameter("page", int)],
        responses=PurchaseOutput(many=True),
    )
    def get(self, request: Request) -> Response:
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        data = dict(filters.validated_data)
        purchases = purchase_list(member_number=data.pop("member", ""), **data)
        paginator = DefaultPagination()
        page = paginator.paginate_queryset(purchases, request, view=self)
        return paginator.get_paginated_response(PurchaseOutput(page, many=True).data)

    @extend_schema(
        summary="Record purchases (one object or a list of up to 1 000)",
        description=(
            "Every row is checked; the valid rows are stored even when others are refused, "
            "all in one transaction (an unexpected failure stores none of them). The answer "
            "lists every row by its 0-based `index` as `created`, "
            "`already_recorded` (the same `source` and `external_id` was stored before; "
            "nothing changes, no points are earned again) or `error` with messages per "
            "field. Status: 201 when rows were created and none refused, 200 when every row "
            "was already recorded, 207 when some rows were refused and others not, 400 when "
            "every row was refused or the batch itself is wrong (not an object or a list, "
            f"more than {INGEST_MAX_ROWS} rows). Send an `Idempotency-Key` header to retry "
            "a batch safely."
        ),
        request=PurchaseRow(many=True),
        responses={
            201: IngestOutput,
            200: IngestOutput,
            207: IngestOutput,
            # hardening-auth: a bad batch answers {"detail": …}, not the per-row body; the
            # schema's ValidationError (core.api.schema) covers both.
            400: OpenApiResponse(
                description="Every row refused (the body as for 207), or a bad batch ({detail})."
            ),
        },
        parameters=[OpenApiParameter("Idempotency-Key", str, OpenApiParameter.HEADER)],
        examples=[
            OpenApiExample(
                "A receipt with lines",
                value=[
                    {
                        "member": "41234568",
                        "purchased_at": "2026-03-01T14:05:00+01:00",
                        "amount": "499.00",
                        "currency": "SEK",
                        "channel": "store",
                        "store": "uppsala",
                        "source": "pos",
                        "external_id": "K-2026-000123",
                        "lines": [{"product": "Löparsko", "category": "Skor", "amount": "499.00"}],
                    }
                ],
                request_only=True,
            )
        ],
    )
    @idempotent
    def post(self, request: Request) -> Response:
        data = request.data
        rows = [data] if isinstance(data, dict) else data
        if not isinstance(rows, list):
            return Response(
                {"detail": _("Send one purchase as an object or several as a list.")},
                status=status.HTTP_400_BAD_REQUEST,
            )
        if len(rows) > INGEST_MAX_ROWS:
            return Response(
                {
                    "detail": _(
                        "At most %(limit)s purchases may be sent at once; this batch has %(count)s."
                    )
                    % {"limit": INGEST_MAX_ROWS, "count": len(rows)}
                },
                status=status.HTTP_400_BAD_REQUEST,
            )
        if not rows:
            return Response(
                {"detail": _("The list of purchases is empty.")},
                status=status.HTTP_400_BAD_REQUEST,
            )
        try:
            results = purchases_ingest(rows=rows, actor=request.user)
        except DjangoValidationError as error:
            return Response({"detail": error.messages}, status=status.HTTP_400_BAD_REQUEST)
        counts = {"created": 0, "already_recorded": 0, "error": 0}
        for result in results:
            counts[result.status] += 1
        body = {
            "created": counts["created"],
            "already_recorded": counts["already_recorded"],
            "errors": counts["error"],
            "results": [_row_result(result) for result in results],
        }
        if counts["error"] == len(results):
            code = status.HTTP_400_BAD_REQUEST
        elif counts["error"]:
            code = status.HTTP_207_MULTI_STATUS
        elif counts["created"]:
            code = status.HTTP_201_CREATED
        else:
            code = status.HTTP_200_OK
        return Response(body, status=code)
