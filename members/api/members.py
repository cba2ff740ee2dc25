"""Members for staff and integrations: list, search, create, read and update by number.

Access is by Django model permission (members.view_member to read, add_member to create,
change_member to update), for staff sessions and integration tokens alike. POST and PATCH honour
Idempotency-Key. Input is checked by the serializer, then by members.services.profiles, and a
refusal is a 400 with messages per field and nothing written.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.permissions import DjangoModelPermissions
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api.pagination import DefaultPagination
from core.idempotency import idempotent
from members.models import Interest, Member, Store, User
from members.selectors.field_access import BASE_FIELDS as BASE_MEMBER_FIELDS
from members.selectors.field_access import (
    member_fields_visible,
    member_search_by_contact_allowed,
)
from members.selectors.profiles import MEMBER_ORDERINGS, member_get_by_number, member_list
from members.services.profiles import member_create, member_update


class MemberModelPermissions(DjangoModelPermissions):
    """DjangoModelPermissions that also require view_member to read."""

    perms_map = {
        **DjangoModelPermissions.perms_map,
        "GET": ["%(app_label)s.view_%(model_name)s"],
        "HEAD": ["%(app_label)s.view_%(model_name)s"],
        "OPTIONS": ["%(app_label)s.view_%(model_name)s"],
    }


def raise_as_drf(error: DjangoValidationError) -> None:
    """A service's ValidationError as DRF's 400: {field: [messages]}, or non_field_errors."""
    if hasattr(error, "error_dict"):
        detail = {
            ("non_field_errors" if field == "__all__" else field): messages
            for field, messages in error.message_dict.items()
        }
    else:
        detail = {"non_field_errors": error.messages}
    raise serializers.ValidationError(detail)


def store_code_field() -> serializers.SlugRelatedField:
    """A store given by its code ("butik-sergels-torg"), or null."""
    return serializers.SlugRelatedField(
        slug_field="code", queryset=Store.objects.all(), allow_null=True, required=False
    )


def interest_slugs_field() -> serializers.ManyRelatedField:
    """Interests given by their slugs (["running", "outdoor-cooking"])."""
    return serializers.SlugRelatedField(  # type: ignore[return-value]
        slug_field="slug", queryset=Interest.objects.all(), many=True, required=False
    )


class MemberOwnFieldsInput(serializers.Serializer):
    """The fields a member edits about themselves (PATCH /api/v1/me/ uses these)."""

    first_name = serializers.CharField(max_length=150, required=False, allow_blank=True)
    last_name = serializers.CharField(max_length=150, required=False, allow_blank=True)
    phone = serializers.CharField(max_length=32, required=False, allow_blank=True)
    birth_date = serializers.DateField(required=False, allow_null=True)  # window: the service
    postcode = serializers.CharField(max_length=10, required=False, allow_blank=True)
    city = serializers.CharField(max_length=80, required=False, allow_blank=True)
    language = serializers.ChoiceField(
        choices=Member._meta.get_field("language").choices, required=False
    )
    preferred_store = store_code_field()
    interests = interest_slugs_field()

    def to_internal_value(self, data):
        if hasattr(data, "keys"):
            unknown = set(data.keys()) - set(self.fields)
            if unknown:
                raise serializers.ValidationError(
                    {name: [_("This field cannot be changed here.")] for name in sorted(unknown)}
                )
        return super().to_internal_value(data)


class MemberOutput(serializers.Serializer):
    number = serializers.CharField()
    first_name = serializers.CharField()
    last_name = serializers.CharField()
    # Blank for a member who gave none (enrolled in store with a phone number only).
    email = serializers.CharField(help_text="An e-mail address, or blank.")
    phone = serializers.CharField()
    birth_date = serializers.DateField(allow_null=True)
    postcode = serializers.CharField()
    city = serializers.CharField()
    language = serializers.CharField()
    preferred_store = serializers.CharField(source="preferred_store.code", allow_null=True)
    interests = serializers.SerializerMethodField()
    source = serializers.CharField()
    status = serializers.CharField()
    joined_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()

    def get_interests(self, member: Member) -> list[str]:
        return [interest.slug for interest in member.interests.all()]


class StaffMemberOutput(MemberOutput):
    """A member as staff and integrations see them: only the fields the caller's permissions
    allow (members.selectors.field_access; context["member_fields"]). The number, display name,
    status and join date are always there; every other field may be left out, and the schema
    says so (required=False)."""

    display_name = serializers.CharField()
    has_login = serializers.SerializerMethodField(required=False)
    staff_contact = serializers.EmailField(
        source="staff_contact.email", allow_null=True, required=False
    )
    notes = serializers.CharField(required=False)

    def get_fields(self):
        fields = super().get_fields()
        for name, field in fields.items():
            # Optional in the schema: which of them a caller gets depends on their role. (An
            # output-only serializer: read_only would make the schema list them as required.)
            if name not in BASE_MEMBER_FIELDS:
                field.required = False
                field.read_only = False
        visible = self.context.get("member_fields")
        if visible is None:
            return fields
        return {name: field for name, field in fields.items() if name in visible}

    def get_has_login(self, member: Member) -> bool:
        return member.user_id is not None


def staff_member_data(request: Request, member_or_page, *, many: bool = False):
    """StaffMemberOutput's data with the fields the request's user may see."""
    context = {"member_fields": member_fields_visible(user=request.user)}
    return StaffMemberOutput(member_or_page, many=many, context=context).data


class StaffMemberInput(MemberOwnFieldsInput):
    # Checked and normalised by the service (case, spaces, Unicode form), not here.
    email = serializers.CharField(required=False, allow_blank=True, max_length=254)
    staff_contact = serializers.SlugRelatedField(
        slug_field="email",
        queryset=User.objects.filter(is_staff=True),
        required=False,
        allow_null=True,
    )
    notes = serializers.CharField(required=False, allow_blank=True)


class MemberListApi(APIView):
    """GET: members, searched (`q`), filtered and paginated. POST: a new member."""

    permission_classes = [MemberModelPermissions]
    queryset = Member.objects.none()  # tells DjangoModelPermissions the model

    class FilterSerializer(serializers.Serializer):
        q = serializers.CharField(required=False, allow_blank=True, max_length=200)
        status = serializers.ChoiceField(choices=Member.Status.choices, required=False)
        store = serializers.CharField(required=False, allow_blank=True, max_length=40)
        source = serializers.ChoiceField(choices=Member.Source.choices, required=False)
        ordering = serializers.ChoiceField(choices=sorted(MEMBER_ORDERINGS), required=False)

    @extend_schema_serializer(component_name="MemberCreateInput")
    class InputSerializer(StaffMemberInput):
        source = serializers.ChoiceField(
            choices=[Member.Source.API, Member.Source.STORE, Member.Source.IMPORT],
            required=False,
            default=Member.Source.API,
        )

    @extend_schema(
        parameters=[FilterSerializer, OpenApiParameter("page", int)],
        responses=StaffMemberOutput(many=True),
    )
    def get(self, request: Request) -> Response:
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        members = member_list(
            **filters.validated_data,
            by_contact=member_search_by_contact_allowed(user=request.user),
        )
        paginator = DefaultPagination()
        page = paginator.paginate_queryset(members, request, view=self)
        return paginator.get_paginated_response(staff_member_data(request, page, many=True))

    @extend_schema(request=InputSerializer, responses={201: StaffMemberOutput})
    @idempotent
    def post(self, request: Request) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            member = member_create(**serializer.validated_data, actor=request.user, request=request)
        except DjangoValidationError as error:
            raise_as_drf(error)
        member = member_get_by_number(number=member.number)
        return Response(staff_member_data(request, member), status=status.HTTP_201_CREATED)


class MemberDetailApi(APIView):
    """GET: one member by membership number. PATCH: change some of their fields."""

    permission_classes = [MemberModelPermissions]
    queryset = Member.objects.none()

    @extend_schema_serializer(component_name="MemberUpdateInput")
    class InputSerializer(StaffMemberInput):
        status = serializers.ChoiceField(
            choices=[Member.Status.ACTIVE, Member.Status.PAUSED], required=False
        )

    def _member(self, number: str) -> Member:
        member = member_get_by_number(number=number)
        if member is None:
            raise NotFound(_("No member has this number."))
        return member

    @extend_schema(responses=StaffMemberOutput)
    def get(self, request: Request, number: str) -> Response:
        return Response(staff_member_data(request, self._member(number)))

    @extend_schema(request=InputSerializer, responses=StaffMemberOutput)
    @idempotent
    def patch(self, request: Request, number: str) -> Response:
        member = self._member(number)
        serializer = self.InputSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        try:
            member_update(
                member=member, actor=request.user, request=request, **serializer.validated_data
            )
        except DjangoValidationError as error:
            raise_as_drf(error)
        return Response(staff_member_data(request, member_get_by_number(number=member.number)))
