"""What each staff role may do in the CRM."""

from django.db import migrations

from members.roles import CLUB_ADMIN, MARKETER, MODERATOR, STORE_STAFF, roles_grant


def crud(model: str) -> list[str]:
    return [f"members.{action}_{model}" for action in ("add", "change", "delete", "view")]


GRANTS = {
    CLUB_ADMIN: [
        *crud("store"),
        *crud("interest"),
        *crud("member"),
        *crud("segment"),
        "members.add_consenttext",
        "members.view_consenttext",
        "members.add_consentevent",
        "members.view_consentevent",
        "members.add_purchase",
        "members.view_purchase",
        "members.view_purchaseline",
        "members.view_memberscore",
        "members.add_segmentsnapshot",
        "members.view_segmentsnapshot",
        "members.export_member",
        "members.import_member",
        "members.erase_member",
    ],
    MARKETER: [
        *crud("segment"),
        "members.view_member",
        "members.view_store",
        "members.view_interest",
        "members.view_consentevent",
        "members.view_purchase",
        "members.view_purchaseline",
        "members.view_memberscore",
        "members.add_segmentsnapshot",
        "members.view_segmentsnapshot",
        "members.export_member",
    ],
    MODERATOR: ["members.view_member"],
    STORE_STAFF: [
        "members.add_member",
        "members.change_member",
        "members.view_member",
        "members.view_store",
        "members.view_interest",
        "members.add_consentevent",
        "members.view_consentevent",
        "members.add_purchase",
        "members.view_purchase",
        "members.view_purchaseline",
    ],
}


def grant(apps, schema_editor):
    roles_grant(apps, GRANTS)


class Migration(migrations.Migration):
    dependencies = [("members", "0003_crm")]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
