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

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils import encoders

from .models import IdempotencyKey

HEADER = "Idempotency-Key"
# The one check of the header's length. Services build longer keys from it (the ledger's
# "redeem:<member>:<key>", at most 200 characters), so it is well below what they store.
MAX_KEY_LENGTH = 128


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
                {
                    "detail": _(
                        "The Idempotency-Key header must be 1 to %(limit)d printable characters."
                    )
                    % {"limit": MAX_KEY_LENGTH}
                },
                status=status.HTTP_400_BAD_REQUEST,
            )
        fingerprint = request_fingerprint(request)
        with transaction.atomic():
            record_id = _claim(user_id=request.user.pk, key=key, fingerprint=fingerprint)
            if record_id is None:
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
            _store(record_id, response.status_code, getattr(response, "data", None))
            return response

    return wrapper


# The claim and the store are on the hot path of every idempotent write (a redemption through the
# API among them), so they are one plain statement each rather than ORM saves: INSERT … ON CONFLICT
# DO NOTHING needs no savepoint to survive a duplicate key, and waits, like the unique index it
# relies on, for a concurrent holder of the key to commit or roll back.


def _claim(*, user_id: int, key: str, fingerprint: str) -> int | None:
    """Insert the record for (user, key) and return its id; None when the key is already taken."""
    quote = connection.ops.quote_name
    table = quote(IdempotencyKey._meta.db_table)
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (user_id, {quote('key')}, fingerprint, response_status, "  # noqa: S608 - names from _meta, values bound
            f"created_at) VALUES (%s, %s, %s, 0, %s) "
            f"ON CONFLICT (user_id, {quote('key')}) DO NOTHING RETURNING id",
            [user_id, key, fingerprint, now],
        )
        row = cursor.fetchone()
    return row[0] if row else None


def _store(record_id: int, status_code: int, body) -> None:
    field = IdempotencyKey._meta.get_field("response_body")
    # As the response renders it: DRF's encoder turns lazy translations, decimals and dates into
    # JSON, which the plain JSONField encoder refuses (a 500 after the view had answered).
    body = json.loads(json.dumps(body, cls=encoders.JSONEncoder))
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {connection.ops.quote_name(IdempotencyKey._meta.db_table)} "  # noqa: S608 - name from _meta, values bound
            "SET response_status = %s, response_body = %s WHERE id = %s",
            [status_code, field.get_db_prep_value(body, connection), record_id],
        )


def idempotency_keys_purge(*, older_than_hours: int) -> int:
    cutoff = timezone.now() - timedelta(hours=older_than_hours)
    deleted, _details = IdempotencyKey.objects.filter(created_at__lt=cutoff).delete()
    return deleted
