"""What each staff role may do with events: club admins and marketers run them, store staff
check members in at the door and see the attendee lists."""

from django.db import migrations

from members.roles import CLUB_ADMIN, MARKETER, STORE_STAFF, roles_grant


def crud(model: str) -> list[str]:
    return [f"events.{action}_{model}" for action in ("add", "change", "delete", "view")]


GRANTS = {
    CLUB_ADMIN: [
        *crud("event"),
        *crud("registration"),
        "events.view_checkin",
        "events.change_checkin",
        "events.view_invitation",
        "events.checkin_event",
    ],
    MARKETER: [
        *crud("event"),
        *crud("registration"),
        "events.view_checkin",
        "events.view_invitation",
        "events.checkin_event",
    ],
    STORE_STAFF: [
        "events.view_event",
        "events.view_registration",
        "events.view_checkin",
        "events.checkin_event",
    ],
}


def grant(apps, schema_editor):
    roles_grant(apps, GRANTS)


class Migration(migrations.Migration):
    dependencies = [("events", "0001_initial"), ("members", "0004_crm_roles")]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
