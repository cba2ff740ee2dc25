"""A test-only URLconf: small API views whose writes are wrapped by core.idempotency.idempotent."""

from django.urls import path
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from core.idempotency import idempotent
from core.services import audit_log
from tests.pg_waits import wait_until_a_session_is_blocked_by


class EntryCreateApi(APIView):
    """Writes one audit-log row per request it really runs; answers 201 with the row's id."""

    @idempotent
    def post(self, request):
        entry = audit_log(action="test.idempotent", request=request, details=dict(request.data))
        return Response({"id": entry.pk}, status=status.HTTP_201_CREATED)


class ValidatedEntryCreateApi(APIView):
    """The same, but the body must carry a name: a bad body raises ValidationError (400)."""

    class InputSerializer(serializers.Serializer):
        name = serializers.CharField()

    @idempotent
    def post(self, request):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        entry = audit_log(
            action="test.idempotent.validated", request=request, details=serializer.validated_data
        )
        return Response({"id": entry.pk}, status=status.HTTP_201_CREATED)


peers_seen_waiting: list[bool] = []


class ContendedEntryCreateApi(APIView):
    """Like EntryCreateApi, but holds its transaction until a concurrent request is seen blocked
    on the idempotency key's unique index, so a race test really races."""

    @idempotent
    def post(self, request):
        peers_seen_waiting.append(wait_until_a_session_is_blocked_by())
        entry = audit_log(action="test.idempotent", request=request, details=dict(request.data))
        return Response({"id": entry.pk}, status=status.HTTP_201_CREATED)


urlpatterns = [
    path("entries/", EntryCreateApi.as_view(), name="test-entries"),
    path("contended-entries/", ContendedEntryCreateApi.as_view(), name="test-contended"),
    path("validated-entries/", ValidatedEntryCreateApi.as_view(), name="test-validated-entries"),
]
