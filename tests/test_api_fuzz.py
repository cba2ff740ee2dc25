"""Schema-driven fuzzing of the whole API: schemathesis reads /api/schema/ from a live server on
PostgreSQL and sends generated requests to every operation, as a club admin who is also a member
(so every endpoint is reachable) and without credentials. It fails on any 5xx, and on any answer
whose status, content type, headers or body the schema does not describe.

Bounded and repeatable: a fixed number of examples per operation, derandomised (the same
requests on every run, so CI never fails by chance), no deadline (a busy machine is slow, not
wrong).
"""

from __future__ import annotations

import os

import pytest
import schemathesis
from django.contrib.auth.models import Group
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from rest_framework.authtoken.models import Token
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from members.roles import CLUB_ADMIN
from rewards.services.ledger import points_award
from tests.members.factories import (
    InterestFactory,
    MemberFactory,
    PurchaseFactory,
    StaffFactory,
    StoreFactory,
)
from tests.rewards.factories import RewardFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

# A deeper search by hand: LOJAL_FUZZ_EXAMPLES=500 LOJAL_FUZZ_RANDOM=1 pytest tests/test_api_fuzz.py
EXAMPLES_PER_OPERATION = int(os.environ.get("LOJAL_FUZZ_EXAMPLES", "25"))
DERANDOMIZE = os.environ.get("LOJAL_FUZZ_RANDOM") != "1"
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


@pytest.fixture
def club(settings):
    """A small club: a club admin who is also a member with points, stores, interests, other
    members with purchases, and rewards. Returns the admin's API token."""
    settings.API_THROTTLE_AUTH_FAILURES = ""  # the unauthenticated pass sends many wrong tokens
    store = StoreFactory(code="norr")
    InterestFactory(slug="running")
    admin = StaffFactory(is_superuser=False)
    admin.groups.add(Group.objects.get(name=CLUB_ADMIN))
    own = MemberFactory(user=admin, email=admin.email, preferred_store=store)
    points_award(member=own, points=5000, reason="Start", idempotency_key="fuzz-start")
    for member in MemberFactory.create_batch(3, preferred_store=store):
        PurchaseFactory(member=member, store=store)
    PurchaseFactory(member=own, store=store)
    RewardFactory.create_batch(2)
    return Token.objects.create(user=admin).key


@pytest.fixture
def api_schema(live_server):
    return schemathesis.openapi.from_url(f"{live_server.url}/api/schema/")


def _fuzz(schema, *, headers: dict[str, str], examples: int) -> list[str]:
    """Run every operation's generated cases; the failures, one line each, for the report."""
    failures: list[str] = []
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 10, "the schema lost its operations"
    for operation in operations:

        @given(case=operation.as_strategy())
        @hypothesis_settings(
            max_examples=examples,
            deadline=None,
            derandomize=DERANDOMIZE,
            database=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        def run(case):
            case.call_and_validate(headers=headers, checks=CHECKS)

        try:
            run()
        except Exception as error:  # every operation is fuzzed; all failures are reported
            failures.append(f"{operation.label}: {str(error)[:3000]}")
    return failures


def test_the_api_answers_every_generated_request_as_its_schema_says(api_schema, club):
    failures = _fuzz(
        api_schema, headers={"Authorization": f"Token {club}"}, examples=EXAMPLES_PER_OPERATION
    )
    assert not failures, "\n\n".join(failures)


def test_with_a_wrong_token_every_answer_is_documented(api_schema, club):
    failures = _fuzz(api_schema, headers={"Authorization": "Token wrong"}, examples=5)
    assert not failures, "\n\n".join(failures)
