"""Writes that belong to no single app: the audit log."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.http import HttpRequest

from .models import AuditLogEntry
from .net import client_address


def client_ip(request: HttpRequest | None) -> str | None:
    """The client's address (core.net.client_address: X-Forwarded-For only from trusted proxies)."""
    return client_address(request)


def audit_log(
    *,
    action: str,
    actor=None,
    target: models.Model | None = None,
    request: HttpRequest | None = None,
    details: dict[str, Any] | None = None,
) -> AuditLogEntry:
    """Record that `actor` (a user, or None for the system) did `action` to `target`.

    With a request and no actor, the request's user is the actor.
    """
    if actor is None and request is not None and request.user.is_authenticated:
        actor = request.user
    return AuditLogEntry.objects.create(
        actor=actor,
        actor_label=str(actor.get_username()) if actor is not None else "system",
        action=action,
        target_type=target._meta.label_lower if target is not None else "",
        target_id=str(target.pk) if target is not None else "",
        target_repr=str(target)[:200] if target is not None else "",
        ip_address=client_ip(request),
        details=details or {},
    )
