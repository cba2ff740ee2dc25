"""What each staff role may do with rewards."""

from django.db import migrations

from members.roles import CLUB_ADMIN, MARKETER, STORE_STAFF, roles_grant


def crud(model: str) -> list[str]:
    return [f"rewards.{action}_{model}" for action in ("add", "change", "delete", "view")]


GRANTS = {
    CLUB_ADMIN: [
        *crud("reward"),
        *crud("tier"),
        *crud("earningrule"),
        "rewards.view_pointsentry",
        "rewards.view_pointslot",
        "rewards.view_pointsaccount",
        "rewards.view_tierchange",
        "rewards.view_redemption",
        "rewards.change_redemption",
        "rewards.cancel_redemption",
        "rewards.adjust_points",
    ],
    MARKETER: [
        *crud("reward"),
        *crud("earningrule"),
        "rewards.view_tier",
        "rewards.view_pointsentry",
        "rewards.view_pointsaccount",
        "rewards.view_tierchange",
        "rewards.view_redemption",
    ],
    STORE_STAFF: [
        "rewards.view_reward",
        "rewards.view_tier",
        "rewards.view_pointsentry",
        "rewards.view_pointsaccount",
        "rewards.view_redemption",
        "rewards.change_redemption",
    ],
}


def grant(apps, schema_editor):
    roles_grant(apps, GRANTS)


class Migration(migrations.Migration):
    dependencies = [("rewards", "0001_initial"), ("members", "0004_crm_roles")]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
