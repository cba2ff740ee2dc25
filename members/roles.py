"""Staff roles are Django groups. Each app's data migrations give a role the permissions its job
needs, through `roles_grant`, so the roles grow with the apps."""

from __future__ import annotations

CLUB_ADMIN = "club admin"
MARKETER = "marketer"
MODERATOR = "moderator"
STORE_STAFF = "store staff"
ROLES = [CLUB_ADMIN, MARKETER, MODERATOR, STORE_STAFF]


def roles_grant(apps, grants: dict[str, list[str]]) -> None:
    """For use in a data migration: give each role ("club admin") the permissions
    ("app_label.codename") listed, creating the groups and any missing permissions."""
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None

    group_model = apps.get_model("auth", "Group")
    permission_model = apps.get_model("auth", "Permission")
    for role, labels in grants.items():
        group, _created = group_model.objects.get_or_create(name=role)
        permissions = []
        for label in labels:
            app_label, codename = label.split(".", 1)
            permissions.append(
                permission_model.objects.get(content_type__app_label=app_label, codename=codename)
            )
        group.permissions.add(*permissions)


def roles_revoke(apps, revocations: dict[str, list[str]]) -> None:
    """For use in a data migration: take the permissions listed away from each role (missing
    roles or permissions are skipped)."""
    group_model = apps.get_model("auth", "Group")
    permission_model = apps.get_model("auth", "Permission")
    for role, labels in revocations.items():
        group = group_model.objects.filter(name=role).first()
        if group is None:
            continue
        for label in labels:
            app_label, codename = label.split(".", 1)
            group.permissions.remove(
                *permission_model.objects.filter(
                    content_type__app_label=app_label, codename=codename
                )
            )
