"""Who may answer and moderate suggestions and reply to conversations."""

from django.db import migrations

from members.roles import CLUB_ADMIN, MARKETER, MODERATOR, STORE_STAFF, roles_grant

BOARD = [
    "feedback.view_suggestion",
    "feedback.change_suggestion",
    "feedback.moderate_suggestion",
    "feedback.view_suggestioncomment",
    "feedback.change_suggestioncomment",
]
INBOX = [
    "feedback.view_conversation",
    "feedback.change_conversation",
    "feedback.reply_conversation",
    "feedback.view_savedreply",
]
GRANTS = {
    CLUB_ADMIN: [
        *BOARD,
        *INBOX,
        "feedback.add_savedreply",
        "feedback.change_savedreply",
        "feedback.delete_savedreply",
    ],
    MARKETER: [*BOARD, "feedback.view_conversation"],
    MODERATOR: BOARD,
    STORE_STAFF: INBOX,
}


def grant(apps, schema_editor):
    roles_grant(apps, GRANTS)


class Migration(migrations.Migration):
    dependencies = [("feedback", "0003_suggestions_conversations"), ("feedback", "0002_roles")]
    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
