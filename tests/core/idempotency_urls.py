"""A test-only URLconf: small API views whose writes are wrapped by core.idempotency.idempotent."""

import time

from django.db import connection
from django.urls import path
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from core.idempotency import idempotent
from core.services import audit_log


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


def _a_peer_waits_on_a_lock(timeout: float = 10.0) -> bool:
    """PostgreSQL only: True once another session of this database waits on a lock."""
    deadline = time.monotonic() + timeout
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                " AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
            )
            if cursor.fetchone()[0]:
                return True
            time.sleep(0.01)
    return False


peers_seen_waiting: list[bool] = []


class ContendedEntryCreateApi(APIView):
    """Like EntryCreateApi, but holds its transaction until a concurrent request is seen blocked
    on the idempotency key's unique index, so a race test really races."""

    @idempotent
    def post(self, request):
        peers_seen_waiting.append(_a_peer_waits_on_a_lock())
        entry = audit_log(action="test.idempotent", request=request, details=dict(request.data))
        return Response({"id": entry.pk}, status=status.HTTP_201_CREATED)


urlpatterns = [
    path("entries/", EntryCreateApi.as_view(), name="test-entries"),
    path("contended-entries/", ContendedEntryCreateApi.as_view(), name="test-contended"),
    path("validated-entries/", ValidatedEntryCreateApi.as_view(), name="test-validated-entries"),
]
