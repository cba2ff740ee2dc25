"""The staff roles: club admin, marketer, moderator, store staff. Later apps' migrations extend
them with `members.roles.roles_grant`."""

from django.db import migrations

from members.roles import CLUB_ADMIN, MARKETER, MODERATOR, STORE_STAFF, roles_grant

GRANTS = {
    CLUB_ADMIN: [
        "members.add_user",
        "members.change_user",
        "members.view_user",
        "auth.view_group",
        "core.view_auditlogentry",
        "authtoken.add_tokenproxy",
        "authtoken.view_tokenproxy",
        "authtoken.delete_tokenproxy",
        "django_celery_beat.view_periodictask",
        "django_celery_beat.change_periodictask",
    ],
    MARKETER: ["members.view_user"],
    MODERATOR: ["members.view_user"],
    STORE_STAFF: ["members.view_user"],
}


def grant(apps, schema_editor):
    roles_grant(apps, GRANTS)


class Migration(migrations.Migration):
    dependencies = [
        ("members", "0001_initial"),
        ("core", "0002_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("authtoken", "0004_alter_tokenproxy_options"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
