from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.idempotency import idempotent
from core.services import client_ip
from members.models import ConsentEvent, ConsentPurpose
from members.selectors.consent import consent_current
from members.selectors.profiles import member_get_self
from members.selectors.users import user_get_self
from members.services.profiles import (
    MemberLinkNeedsVerification,
    member_link_or_create_for_user,
    member_self_update,
)

from .members import MemberOutput, MemberOwnFieldsInput, raise_as_drf


class OwnMemberOutput(MemberOutput):
    contact = serializers.SerializerMethodField()
    consents = serializers.SerializerMethodField()

    def get_contact(self, member) -> str:
        contact = member.staff_contact
        return contact.get_full_name() or contact.email if contact is not None else ""

    def get_consents(self, member) -> dict[str, bool]:
        return consent_current(member=member)


class MeApi(APIView):
    """The logged-in user's own profile: the login, and their member profile and consents.
    PATCH changes the member's own editable fields (and consents); nobody else's."""

    class OutputSerializer(serializers.Serializer):
        id = serializers.IntegerField()
        email = serializers.EmailField()
        first_name = serializers.CharField()
        last_name = serializers.CharField()
        language = serializers.CharField()
        is_staff = serializers.BooleanField()
        roles = serializers.SerializerMethodField()
        date_joined = serializers.DateTimeField()
        member = serializers.SerializerMethodField()

        def get_roles(self, user) -> list[str]:
            return sorted(group.name for group in user.groups.all())

        @extend_schema_field(OwnMemberOutput(allow_null=True))
        def get_member(self, user) -> dict | None:
            member = member_get_self(user=user)
            return OwnMemberOutput(member).data if member is not None else None

    @extend_schema_serializer(component_name="MeUpdateInput")
    class InputSerializer(MemberOwnFieldsInput):
        consents = serializers.DictField(child=serializers.BooleanField(), required=False)

        def validate_consents(self, value: dict[str, bool]) -> dict[str, bool]:
            unknown = set(value) - set(ConsentPurpose.values)
            if unknown:
                raise serializers.ValidationError(
                    _("Unknown consent purposes: %(names)s.")
                    % {"names": ", ".join(sorted(unknown))}
                )
            return value

    @extend_schema(responses=OutputSerializer)
    def get(self, request: Request) -> Response:
        user = user_get_self(user=request.user)
        return Response(self.OutputSerializer(user).data)

    @extend_schema(request=InputSerializer, responses=OutputSerializer)
    @idempotent
    def patch(self, request: Request) -> Response:
        serializer = self.InputSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        fields = dict(serializer.validated_data)
        consents = fields.pop("consents", None)
        if request.user.is_staff and member_get_self(user=request.user) is None:
            # A staff login is not made a member behind its back by an API call.
            raise serializers.ValidationError(
                {
                    "non_field_errors": [
                        _(
                            "This staff login has no member profile, and the API does not "
                            "create one: open your profile in the portal to become a member."
                        )
                    ]
                }
            )
        try:
            member = member_link_or_create_for_user(user=request.user)
            member_self_update(
                member=member,
                user=request.user,
                request=request,
                consents=consents,
                consent_source=ConsentEvent.Source.API,
                ip_address=client_ip(request),
                **fields,
            )
        except MemberLinkNeedsVerification as error:
            raise_as_drf(error)
        except DjangoValidationError as error:
            raise_as_drf(error)
        user = user_get_self(user=request.user)
        return Response(self.OutputSerializer(user).data)
