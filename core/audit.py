"""What the audit log's actions mean, in words: each app registers a label for the actions its
services write (`audit_action_register("redemption.cancel", _("Redemption cancelled"))`, from
AppConfig.ready()), so the admin shows "Inlösen avbruten" rather than "redemption.cancel"."""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

_labels: dict[str, str | Promise] = {
    "email.resend": _("E-mail sent again"),
}


def audit_action_register(action: str, label: str | Promise) -> None:
    _labels[action] = label


def audit_action_label(action: str) -> str | Promise:
    """The action in words; an unregistered action is shown as it is stored."""
    return _labels.get(action, action)


def audit_action_choices() -> list[tuple[str, str | Promise]]:
    return sorted(_labels.items(), key=lambda item: str(item[1]))
