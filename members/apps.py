from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MembersConfig(AppConfig):
    name = "members"
    verbose_name = _("Members")

    def ready(self) -> None:
        from core.navigation import portal_nav_register

        from . import (
            gdpr_coverage,
            integrations,
            receivers,  # noqa: F401  (connects the allauth sign-up receivers)
            tasks,  # noqa: F401  (registers the Celery tasks that services queue by name)
        )

        gdpr_coverage.register()
        integrations.register()

        portal_nav_register(label=_("Profile"), url_name="members:profile", order=20)
        # Consents and my data are in the profile's own menu (members/profiles/_subnav.html).
