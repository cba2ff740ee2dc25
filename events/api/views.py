"""Events over the API, with the conventions of /api/v1/rewards/: the member behind the login sees
the events they may attend and their own registrations; writes take an Idempotency-Key; a
refusal is 400 with a `code` and a message in the member's language. Staff check members in."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpResponse
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api.pagination import DefaultPagination
from core.idempotency import HEADER, idempotent
from events.models import Event, Registration
from events.selectors.portal import (
    event_get_for_member,
    event_get_visible,
    event_list_for_member,
    registration_get_for_member,
    registration_list_for_member,
)
from events.selectors.staff import checkin_event_get
from events.services.checkin import checkin_record
from events.services.notifications import registration_ics
from events.services.registrations import event_cancel_registration, event_register
from members.api.access import own_member
from members.models import Member


def refused(error: DjangoValidationError, member: Member | None = None) -> Response:
    with translation.override(member.language if member is not None else None):
        message = error.messages[0]
    return Response({"detail": message, "code": error.code}, status=status.HTTP_400_BAD_REQUEST)


class EventOutput(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    description = serializers.CharField()
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()
    venue = serializers.CharField()
    address = serializers.CharField()
    city = serializers.CharField()
    online_url = serializers.CharField()
    status = serializers.CharField()
    capacity = serializers.IntegerField()
    seats_left = serializers.IntegerField()
    guests_allowed = serializers.IntegerField()
    points_price = serializers.IntegerField()
    attendance_points = serializers.IntegerField()
    registration_opens_at = serializers.DateTimeField(allow_null=True)
    registration_closes_at = serializers.DateTimeField(source="closes_at")
    cancellation_deadline = serializers.DateTimeField(source="cancel_until")
    my_status = serializers.SerializerMethodField()

    def get_my_status(self, event: Event) -> str | None:
        registration = getattr(event, "my_registration", None)
        return registration.status if registration is not None else None


class RegistrationOutput(serializers.Serializer):
    id = serializers.IntegerField()
    event = serializers.IntegerField(source="event_id")
    event_title = serializers.CharField(source="event.title")
    starts_at = serializers.DateTimeField(source="event.starts_at")
    status = serializers.CharField()
    guests = serializers.IntegerField()
    position = serializers.IntegerField(source="place_in_line", allow_null=True)
    offer_expires_at = serializers.DateTimeField(allow_null=True)
    code = serializers.CharField()
    qr = serializers.CharField(source="qr_token")
    points_paid = serializers.IntegerField()
    points_refunded = serializers.IntegerField()


class RegisterOutput(serializers.Serializer):
    status = serializers.CharField()
    position = serializers.IntegerField(allow_null=True)
    code = serializers.CharField()
    registration = serializers.IntegerField()


def _position(registration: Registration) -> int | None:
    if registration.status != Registration.Status.WAITLISTED:
        return None
    if hasattr(registration, "place_in_line"):  # counted by the service under the event lock
        return registration.place_in_line
    return Registration.objects.filter(
        event_id=registration.event_id,
        status=Registration.Status.WAITLISTED,
        waitlist_position__lte=registration.waitlist_position,
    ).count()


class EventListApi(APIView):
    """GET: the upcoming events the logged-in member may attend, with seats left."""

    @extend_schema(parameters=[OpenApiParameter("page", int)], responses=EventOutput(many=True))
    def get(self, request: Request) -> Response:
        events = event_list_for_member(member=own_member(request))
        paginator = DefaultPagination()
        page = paginator.paginate_queryset(events, request, view=self)
        return paginator.get_paginated_response(EventOutput(page, many=True).data)


class EventDetailApi(APIView):
    """GET: one event the logged-in member may attend (404 otherwise)."""

    @extend_schema(responses={200: EventOutput, 404: dict})
    def get(self, request: Request, event_id: int) -> Response:
        try:
            event = event_get_for_member(member=own_member(request), event_id=event_id)
        except Http404:
            raise NotFound from None
        return Response(EventOutput(event).data)


class EventRegisterApi(APIView):
    """POST {"guests": N}: register, or join the waitlist when full. 201 with the status, the
    place in line and the code at the door. Send an Idempotency-Key: a retry returns the first
    answer."""

    class InputSerializer(serializers.Serializer):
        guests = serializers.JSONField(required=False, default=0)

    @extend_schema(
        request=inline_serializer("EventRegisterInput", {"guests": serializers.IntegerField()}),
        parameters=[OpenApiParameter(HEADER, str, OpenApiParameter.HEADER, required=True)],
        responses={201: RegisterOutput, 400: dict, 404: dict},
    )
    @idempotent
    def post(self, request: Request, event_id: int) -> Response:
        if not request.headers.get(HEADER, "").strip():
            return Response(
                {"detail": _("Send an Idempotency-Key header with each registration.")},
                status=status.HTTP_400_BAD_REQUEST,
            )
        member = own_member(request)
        data = request.data if isinstance(request.data, dict) else {}
        try:
            event = event_get_visible(event_id=event_id)
        except Http404:
            raise NotFound from None
        try:
            registration = event_register(event=event, member=member, guests=data.get("guests", 0))
        except DjangoValidationError as error:
            return refused(error, member)
        return Response(
            RegisterOutput(
                {
                    "status": registration.status,
                    "position": _position(registration),
                    "code": registration.code,
                    "registration": registration.pk,
                }
            ).data,
            status=status.HTTP_201_CREATED,
        )


class EventCancelApi(APIView):
    """POST: cancel the member's registration, leave the waitlist or let an offer go."""

    @extend_schema(
        request=None,
        parameters=[OpenApiParameter(HEADER, str, OpenApiParameter.HEADER)],
        responses={200: RegistrationOutput, 400: dict, 404: dict},
    )
    @idempotent
    def post(self, request: Request, event_id: int) -> Response:
        member = own_member(request)
        try:
            event = event_get_for_member(member=member, event_id=event_id)
        except Http404:
            raise NotFound from None
        registration = event.my_registration  # type: ignore[attr-defined]
        try:
            if registration is None:
                raise DjangoValidationError(
                    _("You have no registration to cancel for this event."), code="not_registered"
                )
            registration = event_cancel_registration(registration=registration, member=member)
        except DjangoValidationError as error:
            return refused(error, member)
        registration.place_in_line = None
        return Response(RegistrationOutput(registration).data)


class RegistrationListApi(APIView):
    """GET: the logged-in member's current registrations (registered, waiting, offered)."""

    @extend_schema(
        parameters=[OpenApiParameter("page", int)], responses=RegistrationOutput(many=True)
    )
    def get(self, request: Request) -> Response:
        registrations = registration_list_for_member(member=own_member(request))
        paginator = DefaultPagination()
        page = paginator.paginate_queryset(registrations, request, view=self)
        return paginator.get_paginated_response(RegistrationOutput(page, many=True).data)


class RegistrationIcsApi(APIView):
    """GET: the registration's calendar file (text/calendar)."""

    @extend_schema(responses={(200, "text/calendar"): str, 404: dict})
    def get(self, request: Request, registration_id: int) -> HttpResponse:
        try:
            registration = registration_get_for_member(
                member=own_member(request), registration_id=registration_id
            )
        except Http404:
            raise NotFound from None
        response = HttpResponse(registration_ics(registration), content_type="text/calendar")
        response["Content-Disposition"] = (
            f'attachment; filename="event-{registration.event_id}.ics"'
        )
        return response


class CheckinOutput(serializers.Serializer):
    id = serializers.IntegerField()
    event = serializers.IntegerField(source="event_id")
    registration = serializers.IntegerField(source="registration_id", allow_null=True)
    accepted = serializers.BooleanField()
    flagged = serializers.BooleanField()
    flag_reason = serializers.CharField()
    scanned_at = serializers.DateTimeField()


class CheckinApi(APIView):
    """POST (staff with events.checkin_event) {"code", "nonce", "scanned_at", "event"?,
    "offline"?}: check a registration in by its code or QR token. The same nonce is one
    check-in; an offline scan that would be refused is recorded flagged (200) rather than
    refused (400)."""

    class InputSerializer(serializers.Serializer):
        code = serializers.CharField(max_length=64)
        nonce = serializers.CharField(max_length=64)
        scanned_at = serializers.DateTimeField(required=False)
        event = serializers.IntegerField(required=False)
        offline = serializers.BooleanField(required=False, default=False)

    @extend_schema(
        request=inline_serializer(
            "EventCheckinInput",
            {
                "code": serializers.CharField(),
                "nonce": serializers.CharField(),
                "scanned_at": serializers.DateTimeField(required=False),
                "event": serializers.IntegerField(required=False),
                "offline": serializers.BooleanField(required=False),
            },
        ),
        responses={200: CheckinOutput, 400: dict, 403: dict},
    )
    def post(self, request: Request) -> Response:
        if not request.user.has_perm("events.checkin_event"):
            raise PermissionDenied
        given = self.InputSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        data = given.validated_data
        event_id = data.get("event")
        if event_id is None:
            event_id = (
                Registration.objects.filter(code=data["code"].strip().upper())
                .values_list("event_id", flat=True)
                .first()
            )
            if event_id is None:
                event_id = (
                    Registration.objects.filter(qr_token=data["code"].strip())
                    .values_list("event_id", flat=True)
                    .first()
                )
        if event_id is None:
            return Response(
                {"detail": _("No registration has this code."), "code": "unknown_code"},
                status=status.HTTP_400_BAD_REQUEST,
            )
        try:
            event = checkin_event_get(event_id=event_id)
            checkin = checkin_record(
                event=event,
                code=data["code"],
                nonce=data["nonce"],
                scanned_at=data.get("scanned_at"),
                staff=request.user,
                offline=data["offline"],
            )
        except Http404:
            raise NotFound from None
        except DjangoValidationError as error:
            return refused(error)
        return Response(CheckinOutput(checkin).data)
