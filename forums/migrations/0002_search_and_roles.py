"""Full-text search on PostgreSQL: a stored generated tsvector on posts (their text) and topics
(their title), each in its author's language (Swedish or English), with GIN indexes. Other
databases get nothing here (the search falls back to icontains). And what the moderator and club
admin roles may do in the forums."""

from django.db import migrations

from members.roles import CLUB_ADMIN, MODERATOR, roles_grant



def vector(column: str) -> str:
    # A constant configuration in each branch: to_tsvector(regconfig, text) is immutable, a
    # configuration cast from text is not.
    text = f"coalesce({column}, '')"
    return (
        f"CASE WHEN language = 'en' THEN to_tsvector('english'::regconfig, {text}) "
        f"ELSE to_tsvector('swedish'::regconfig, {text}) END"
    )


FORWARD = [
    f"ALTER TABLE forums_post ADD COLUMN search_vector tsvector "
    f"GENERATED ALWAYS AS ({vector('source')}) STORED",
    "CREATE INDEX forums_post_search_gin ON forums_post USING gin (search_vector)",
    f"ALTER TABLE forums_topic ADD COLUMN search_vector tsvector "
    f"GENERATED ALWAYS AS ({vector('title')}) STORED",
    "CREATE INDEX forums_topic_search_gin ON forums_topic USING gin (search_vector)",
]
BACKWARD = [
    "ALTER TABLE forums_topic DROP COLUMN IF EXISTS search_vector",
    "ALTER TABLE forums_post DROP COLUMN IF EXISTS search_vector",
]


def forward(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for statement in FORWARD:
        schema_editor.execute(statement)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for statement in BACKWARD:
        schema_editor.execute(statement)


def crud(model: str) -> list[str]:
    return [f"forums.{action}_{model}" for action in ("add", "change", "delete", "view")]


GRANTS = {
    MODERATOR: [
        "forums.moderate_forum",
        "forums.view_category",
        "forums.view_topic",
        "forums.change_topic",
        "forums.view_post",
        "forums.view_flag",
        "forums.view_forumprofile",
    ],
    CLUB_ADMIN: [
        "forums.moderate_forum",
        *crud("category"),
        "forums.view_topic",
        "forums.change_topic",
        "forums.view_post",
        "forums.view_flag",
        "forums.view_forumprofile",
        "forums.change_forumprofile",
    ],
}


def grant(apps, schema_editor):
    roles_grant(apps, GRANTS)


class Migration(migrations.Migration):
    dependencies = [("forums", "0001_initial"), ("members", "0008_outgoing_email_role")]

    operations = [
        migrations.RunPython(forward, backward),
        migrations.RunPython(grant, migrations.RunPython.noop),
    ]
