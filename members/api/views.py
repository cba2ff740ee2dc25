from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from members.selectors.users import user_get_self


class MeApi(APIView):
    """The logged-in user's own profile."""

    class OutputSerializer(serializers.Serializer):
        id = serializers.IntegerField()
        email = serializers.EmailField()
        first_name = serializers.CharField()
        last_name = serializers.CharField()
        language = serializers.CharField()
        is_staff = serializers.BooleanField()
        roles = serializers.SerializerMethodField()
        date_joined = serializers.DateTimeField()

        def get_roles(self, user) -> list[str]:
            return sorted(group.name for group in user.groups.all())

    @extend_schema(responses=OutputSerializer)
    def get(self, request: Request) -> Response:
        user = user_get_self(user=request.user)
        return Response(self.OutputSerializer(user).data)
