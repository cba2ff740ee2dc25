"""The back office's roles: club admins see Settings (the technical tables); store staff use the
till and no longer see the ledger, the points accounts (finance) or the full consent log."""

from django.db import migrations

from members.roles import CLUB_ADMIN, STORE_STAFF, roles_grant, roles_revoke

GRANTS = {
    CLUB_ADMIN: ["core.view_settings", "rewards.use_till"],
    STORE_STAFF: ["rewards.use_till"],
}
REVOCATIONS = {
    STORE_STAFF: [
        "rewards.view_pointsentry",
        "rewards.view_pointsaccount",
        "members.view_consentevent",
    ],
}


def forwards(apps, schema_editor):
    roles_grant(apps, GRANTS)
    roles_revoke(apps, REVOCATIONS)


def backwards(apps, schema_editor):
    roles_revoke(apps, GRANTS)
    roles_grant(apps, REVOCATIONS)


class Migration(migrations.Migration):
    dependencies = [
        ("rewards", "0008_backoffice_till"),
        ("members", "0009_backoffice_verbose_names"),
        ("core", "0004_view_settings_permission"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
