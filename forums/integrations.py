"""What the forums add to the club through its registries (called once from ForumsConfig.ready):
portal navigation, and more as the parts arrive."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from core.dashboard import backoffice_model_register
from core.navigation import portal_nav_register


def register() -> None:
    portal_nav_register(label=_("Forums"), url_name="forums:index", order=60)
    for order, model in enumerate(
        ["forums.Category", "forums.Topic", "forums.Post", "forums.ForumProfile"], start=30
    ):
        backoffice_model_register(model=model, group="club_life", order=order)
