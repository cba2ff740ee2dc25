"""The GDPR registry: other apps add their part of a member's data export and erasure here, so
members never imports them.

- `gdpr_exporter_register(name, func, description=...)`: `func(*, member) -> list[dict]` returns
  the rows of one file, `<name>.csv`, in the member's data export
  (members.services.gdpr.member_export_zip); `description` (translatable, gettext_lazy) says in
  the README, in the member's language, what the file holds.
- `gdpr_eraser_register(func)`: `func(*, member)` removes or anonymises that app's personal data
  of the member; called by members.services.gdpr.member_erase inside its transaction, before the
  member's own fields are cleared (so `member.user`, `member.email` are still there to use).

- `gdpr_model_covered(label, how)`: declares how erasure treats a model that points to a member
  or a login or holds personal or free-form data ("app.Model", and a sentence: erased by which
  eraser, or why it is kept). tests/members/test_gdpr_coverage.py walks every installed model and
  fails on one that is not declared, so a new app cannot forget its part of an erasure.

Register in AppConfig.ready(). Registering the same name or function again replaces / is ignored.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

Exporter = Callable[..., list[dict[str, Any]]]
Eraser = Callable[..., object]

_exporters: dict[str, Exporter] = {}
_descriptions: dict[str, Any] = {}
_erasers: list[Eraser] = []
_NAME_RE = re.compile(r"^[a-z][a-z0-9_]{0,40}$")
RESERVED_NAMES = {"profile", "consents", "purchases", "purchase_lines", "scores", "audit", "readme"}


def gdpr_exporter_register(name: str, func: Exporter, description: Any = None) -> Exporter:
    """Add `<name>.csv` to every member's data export, described in its README by
    `description` (a lazy translation). Returns `func`."""
    if not _NAME_RE.match(name) or name in RESERVED_NAMES:
        raise ValueError(f"{name!r} cannot name an export file.")
    _exporters[name] = func
    if description is not None:
        _descriptions[name] = description
    return func


def gdpr_exporter_description(name: str) -> Any:
    """What `<name>.csv` holds, for the README (None when the app gave no description)."""
    return _descriptions.get(name)


def gdpr_eraser_register(func: Eraser) -> Eraser:
    """Call `func(member=...)` when a member is erased. Returns `func` (usable as a decorator)."""
    if func not in _erasers:
        _erasers.append(func)
    return func


def gdpr_exporters() -> dict[str, Exporter]:
    return dict(_exporters)


def gdpr_erasers() -> tuple[Eraser, ...]:
    return tuple(_erasers)


_covered: dict[str, str] = {}


def gdpr_model_covered(label: str, how: str) -> None:
    """Declare how erasing a member treats model `label` ("app.Model"): which eraser removes or
    scrubs its personal data, or why what it keeps is not personal (or must be kept)."""
    if not how.strip():
        raise ValueError("Say how erasure treats the model.")
    _covered[label] = how


def gdpr_models_covered() -> dict[str, str]:
    return dict(_covered)
