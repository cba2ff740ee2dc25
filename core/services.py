"""Writes that belong to no single app: the audit log."""

from __future__ import annotations

import ipaddress
from typing import Any

from django.db import models
from django.http import HttpRequest

from .models import AuditLogEntry


def client_ip(request: HttpRequest | None) -> str | None:
    if request is None:
        return None
    # Behind a proxy, SECURE_PROXY_SSL_HEADER's proxy sets X-Forwarded-For; REMOTE_ADDR otherwise.
    # Anything a client sent that is not an address (junk would break the inet column) is ignored.
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    for candidate in (forwarded.split(",")[0], request.META.get("REMOTE_ADDR") or ""):
        try:
            return str(ipaddress.ip_address(candidate.strip()))
        except ValueError:
            continue
    return None


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
