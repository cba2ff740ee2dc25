"""Each staff role sees only the member fields its job needs (members.selectors.field_access)."""

from django.db import migrations

from members.roles import CLUB_ADMIN, MARKETER, STORE_STAFF, roles_grant

GRANTS = {
    CLUB_ADMIN: [
        "members.view_member_contact",
        "members.view_member_profile",
        "members.view_member_personal",
        "members.view_member_notes",
    ],
    MARKETER: [
        "members.view_member_contact",
        "members.view_member_profile",
        "members.view_member_personal",
    ],
    STORE_STAFF: ["members.view_member_contact", "members.view_member_profile"],
    # The moderator keeps members.view_member alone: number, display name, status, join date.
}


def grant(apps, schema_editor):
    roles_grant(apps, GRANTS)


class Migration(migrations.Migration):
    dependencies = [("members", "0008_outgoing_email_role")]

    operations = [
        migrations.AlterModelOptions(
            name="member",
            options={
                "ordering": ["-joined_at", "-id"],
                "permissions": [
                    ("export_member", "Can export members (CSV, ad-platform match)"),
                    ("import_member", "Can import members and purchases from CSV"),
                    ("erase_member", "Can erase a member's personal data"),
                    ("view_member_contact", "Can see members' names and contact details"),
                    (
                        "view_member_profile",
                        "Can see members' language, store, interests and source",
                    ),
                    ("view_member_personal", "Can see members' birth dates and addresses"),
                    ("view_member_notes", "Can see staff notes on members"),
                ],
                "verbose_name": "member",
                "verbose_name_plural": "members",
            },
        ),
        migrations.RunPython(grant, migrations.RunPython.noop),
    ]
