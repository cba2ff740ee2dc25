from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    default = True
    name = "core"
    verbose_name = _("Core")

    def ready(self) -> None:
        from django.urls import register_converter

        from .converters import DatabaseIdConverter

        register_converter(DatabaseIdConverter, "dbid")


class LojalAdminConfig(admin_apps.AdminConfig):
    default = False
    """django.contrib.admin with the club's own admin site (titles, staff MFA)."""

    default_site = "core.admin_site.LojalAdminSite"
