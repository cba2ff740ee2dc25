"""The client's address, the one way every rate limit, lock-out and audit entry reads it.

``X-Forwarded-For`` is whatever the client sent, plus one entry per proxy that passed the request
on (each appends the address it received it from). Only the entries our own proxies appended can
be trusted, so the client is the TRUSTED_PROXY_COUNT-th entry from the right; with no trusted
proxies (the default) the header is ignored and the address is the connection's (REMOTE_ADDR).
"""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def _address(candidate: str) -> str | None:
    try:
        return str(ipaddress.ip_address(candidate.strip()))
    except ValueError:
        return None


def client_address(request: HttpRequest | None) -> str | None:
    """The client's IP address as text, or None when there is no valid one."""
    if request is None:
        return None
    peer = _address(request.META.get("REMOTE_ADDR") or "")
    trusted = int(getattr(settings, "TRUSTED_PROXY_COUNT", 0) or 0)
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if trusted <= 0 or not forwarded:
        return peer
    hops = [hop for hop in forwarded.split(",") if hop.strip()]
    if not hops:
        return peer
    # Fewer entries than trusted proxies: the request skipped the outer ones, and the first entry
    # is what the outermost proxy it did pass saw.
    return _address(hops[-min(trusted, len(hops))]) or peer
