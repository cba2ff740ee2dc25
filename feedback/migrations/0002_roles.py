"""What each staff role may do with feedback: club admins and marketers run surveys and read
the answers; club admins and store staff handle follow-up cases (store staff see their own)."""

from django.db import migrations

from members.roles import CLUB_ADMIN, MARKETER, STORE_STAFF, roles_grant


def crud(model: str) -> list[str]:
    return [f"feedback.{action}_{model}" for action in ("add", "change", "delete", "view")]


GRANTS = {
    CLUB_ADMIN: [
        *crud("survey"),
        *crud("question"),
        *crud("caseroute"),
        "feedback.view_response",
        "feedback.view_answer",
        "feedback.view_followupcase",
        "feedback.change_followupcase",
        "feedback.handle_followupcase",
    ],
    MARKETER: [
        *crud("survey"),
        *crud("question"),
        "feedback.view_response",
        "feedback.view_answer",
        "feedback.view_followupcase",
    ],
    STORE_STAFF: [
        "feedback.view_followupcase",
        "feedback.change_followupcase",
        "feedback.handle_followupcase",
    ],
}


def grant(apps, schema_editor):
    roles_grant(apps, GRANTS)


class Migration(migrations.Migration):
    dependencies = [("feedback", "0001_surveys"), ("members", "0008_outgoing_email_role")]
    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
