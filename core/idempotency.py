"""Idempotency keys for API writes.

A write sent with an ``Idempotency-Key`` header runs once per user and key: the first response
(2xx or 4xx from the view) is stored in the same transaction as the write and replayed for every
later request with that key. The same key with a different method, path or body is refused with
422. Two requests with the same key at the same moment are serialised by the unique index: the
second waits for the first to commit and then replays its response. Requests that fail with an
exception (validation errors, 5xx) store nothing, so the client may retry them.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Callable
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response

from .models import IdempotencyKey

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 255


def request_fingerprint(request: Request) -> str:
    body = json.dumps(request.data, sort_keys=True, default=str, separators=(",", ":"))
    raw = f"{request.method}\n{request.path}\n{body}".encode()
    return hashlib.sha256(raw).hexdigest()


def _replay(record: IdempotencyKey) -> Response:
    response = Response(record.response_body, status=record.response_status)
    response["Idempotent-Replayed"] = "true"
    return response


def idempotent(view_method: Callable) -> Callable:
    """Decorate an APIView handler (post/put/patch/delete) to honour Idempotency-Key."""

    @functools.wraps(view_method)
    def wrapper(self, request: Request, *args, **kwargs):
        key = request.headers.get(HEADER)
        if key is None or not request.user.is_authenticated:
            return view_method(self, request, *args, **kwargs)
        key = key.strip()
        if not key or len(key) > MAX_KEY_LENGTH or not key.isprintable():
            return Response(
                {"detail": _("The Idempotency-Key header must be 1 to 255 printable characters.")},
                status=status.HTTP_400_BAD_REQUEST,
            )
        fingerprint = request_fingerprint(request)
        with transaction.atomic():
            try:
                with transaction.atomic():
                    record = IdempotencyKey.objects.create(
                        user=request.user, key=key, fingerprint=fingerprint, response_status=0
                    )
            except IntegrityError:
                # Another request holds (or held) this key; the unique index made us wait for it.
                record = IdempotencyKey.objects.get(user=request.user, key=key)
                if record.fingerprint != fingerprint:
                    return Response(
                        {
                            "detail": _(
                                "This Idempotency-Key was already used with a different request."
                            )
                        },
                        status=status.HTTP_422_UNPROCESSABLE_ENTITY,
                    )
                return _replay(record)
            response = view_method(self, request, *args, **kwargs)
            if response.status_code >= 500:
                transaction.set_rollback(True)
                return response
            record.response_status = response.status_code
            record.response_body = getattr(response, "data", None)
            record.save(update_fields=["response_status", "response_body"])
            return response

    return wrapper


def idempotency_keys_purge(*, older_than_hours: int) -> int:
    cutoff = timezone.now() - timedelta(hours=older_than_hours)
    deleted, _details = IdempotencyKey.objects.filter(created_at__lt=cutoff).delete()
    return deleted
