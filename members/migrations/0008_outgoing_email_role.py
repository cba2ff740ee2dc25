"""Club admins see the e-mail outbox and may send failed e-mail again."""

from django.db import migrations

from members.roles import CLUB_ADMIN, roles_grant


def grant(apps, schema_editor):
    roles_grant(apps, {CLUB_ADMIN: ["core.view_outgoingemail", "core.change_outgoingemail"]})


class Migration(migrations.Migration):
    dependencies = [
        ("members", "0007_member_referred_by"),
        ("core", "0003_outgoing_email"),
    ]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
