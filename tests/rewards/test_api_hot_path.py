"""The API redemption's hot path on PostgreSQL: a fixed, small number of statements."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.authtoken.models import Token

from rewards.models import Redemption
from rewards.services.ledger import points_award
from tests.members.factories import MemberFactory

from .factories import RewardFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_a_redemption_through_the_api_is_one_transaction_of_few_statements(
    api_client, user, settings, mailoutbox
):
    # given a member with a token and points, and the redemption as the database function
    settings.REWARDS_REDEEM_IN_DATABASE = True
    member = MemberFactory(user=user, email=user.email)
    points_award(member=member, points=500, reason="Welcome", idempotency_key="w")
    reward = RewardFactory(points_cost=100)
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")

    # when they redeem through the API
    with CaptureQueriesContext(connection) as queries:
        response = api_client.post(
            f"/api/v1/rewards/{reward.pk}/redeem/", HTTP_IDEMPOTENCY_KEY="hot-path"
        )

    # then the request is the login and its member in one query, then one transaction: claim
    # the key, redeem, queue the e-mail, store the response; the e-mail leaves after the commit
    assert response.status_code == 201, response.json()
    statements = [query["sql"].split("(", 1)[0].strip() for query in queries.captured_queries]
    # The redemption hooks (rewards.hooks) ask before the redemption whether anything else takes
    # part in it: events looks for an event this reward gives a seat at, one plain SELECT.
    hooks = [sql for sql in statements if sql.startswith('SELECT "events_event"."id"')]
    assert len(hooks) == 1 and statements.index(hooks[0]) == 3
    statements.remove(hooks[0])
    assert statements[:7] == [
        statements[0],
        "BEGIN",
        'INSERT INTO "core_idempotencykey"',
        "SELECT * FROM rewards_redeem",
        'INSERT INTO "core_outgoingemail"',
        statements[5],
        "COMMIT",
    ]
    assert statements[0].startswith("SELECT u.") and "JOIN" in queries.captured_queries[0]["sql"]
    assert statements[5].startswith('UPDATE "core_idempotencykey" SET response_status')
    redemption = Redemption.objects.get()
    assert redemption.voucher_code == response.json()["voucher_code"]
    assert [m.to for m in mailoutbox] == [[member.email]]
    assert redemption.voucher_code in mailoutbox[0].body
