"""What each staff role may do with campaigns: marketers and club admins write and send them."""

from django.db import migrations

from members.roles import CLUB_ADMIN, MARKETER, roles_grant


def crud(model: str) -> list[str]:
    return [f"campaigns.{action}_{model}" for action in ("add", "change", "delete", "view")]


SENDERS = [
    *crud("campaign"),
    *crud("variant"),
    *crud("trigger"),
    "campaigns.view_message",
    "campaigns.view_bounce",
    "campaigns.send_campaign",
]
GRANTS = {CLUB_ADMIN: SENDERS, MARKETER: SENDERS}


def grant(apps, schema_editor):
    roles_grant(apps, GRANTS)


class Migration(migrations.Migration):
    dependencies = [("campaigns", "0001_initial"), ("members", "0004_crm_roles")]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
