"""core.idempotency: an API write sent with an Idempotency-Key runs once per user and key."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.test import override_settings
from django.utils import timezone
from rest_framework.test import APIClient

from core.idempotency import MAX_KEY_LENGTH, idempotency_keys_purge
from core.models import AuditLogEntry, IdempotencyKey
from core.tasks import idempotency_keys_purge_task
from tests.core import idempotency_urls
from tests.members.factories import UserFactory

ENTRIES = "/entries/"
CONTENDED = "/contended-entries/"
VALIDATED = "/validated-entries/"

pytestmark = pytest.mark.urls("tests.core.idempotency_urls")


def _client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user=user)
    return client


def _post(client: APIClient, url: str, body: dict, key: str | None = None):
    headers = {"Idempotency-Key": key} if key is not None else {}
    return client.post(url, body, format="json", headers=headers)


@pytest.mark.django_db
def test_same_key_twice_replays_the_first_response_and_writes_once(member_api_client, user):
    # given a write that was answered once
    first = _post(member_api_client, ENTRIES, {"amount": 10}, key="order-1")

    # when the client retries it with the same key and body
    second = _post(member_api_client, ENTRIES, {"amount": 10}, key="order-1")

    # then the retry gets the same answer, marked as a replay, and nothing is written twice
    assert first.status_code == 201
    assert "Idempotent-Replayed" not in first.headers
    assert second.status_code == 201
    assert second.json() == first.json()
    assert second.headers["Idempotent-Replayed"] == "true"
    assert AuditLogEntry.objects.filter(action="test.idempotent").count() == 1
    assert AuditLogEntry.objects.get().pk == first.json()["id"]
    record = IdempotencyKey.objects.get(user=user, key="order-1")
    assert record.response_status == 201
    assert record.response_body == first.json()


@pytest.mark.django_db
def test_same_key_with_a_different_body_is_refused_with_422(member_api_client):
    # given a key already used for one request
    _post(member_api_client, ENTRIES, {"amount": 10}, key="order-2")

    # when the same key comes with a different body
    response = _post(member_api_client, ENTRIES, {"amount": 99}, key="order-2")

    # then it is refused with a message that says why, and nothing more is written
    assert response.status_code == 422
    assert "different request" in response.json()["detail"]
    assert AuditLogEntry.objects.count() == 1


@pytest.mark.django_db
def test_same_key_on_a_different_path_is_refused_with_422(member_api_client):
    # given a key used on one endpoint
    _post(member_api_client, ENTRIES, {"name": "x"}, key="shared-key")

    # when the same key and body go to another endpoint
    response = _post(member_api_client, VALIDATED, {"name": "x"}, key="shared-key")

    # then the fingerprint (method, path, body) differs and the request is refused
    assert response.status_code == 422
    assert AuditLogEntry.objects.count() == 1


@pytest.mark.django_db
def test_without_a_key_every_request_writes(member_api_client):
    # given no Idempotency-Key header
    # when the same body is posted twice
    first = _post(member_api_client, ENTRIES, {"amount": 10})
    second = _post(member_api_client, ENTRIES, {"amount": 10})

    # then both run, and no key is stored
    assert first.status_code == second.status_code == 201
    assert first.json()["id"] != second.json()["id"]
    assert AuditLogEntry.objects.count() == 2
    assert not IdempotencyKey.objects.exists()


@pytest.mark.django_db
def test_the_same_key_from_two_users_is_two_writes():
    # given two users who happen to pick the same key
    alice, bob = UserFactory(), UserFactory()

    # when each sends a request with it
    first = _post(_client_for(alice), ENTRIES, {"amount": 10}, key="same-key")
    second = _post(_client_for(bob), ENTRIES, {"amount": 10}, key="same-key")

    # then keys are per user: both requests run and neither is a replay
    assert first.status_code == second.status_code == 201
    assert "Idempotent-Replayed" not in second.headers
    assert first.json()["id"] != second.json()["id"]
    assert set(AuditLogEntry.objects.values_list("actor", flat=True)) == {alice.pk, bob.pk}
    assert IdempotencyKey.objects.filter(key="same-key").count() == 2


@pytest.mark.django_db
def test_a_validation_error_is_not_stored_so_a_corrected_retry_succeeds(member_api_client):
    # given a request with a bad body, refused by validation
    bad = _post(member_api_client, VALIDATED, {"nom": "typo"}, key="signup-7")
    assert bad.status_code == 400
    assert "name" in bad.json()
    assert not IdempotencyKey.objects.exists()

    # when the client corrects the body and retries with the same key
    good = _post(member_api_client, VALIDATED, {"name": "Kim"}, key="signup-7")

    # then the corrected request runs (no 422, no replay of the 400)
    assert good.status_code == 201
    assert "Idempotent-Replayed" not in good.headers
    entry = AuditLogEntry.objects.get()
    assert entry.pk == good.json()["id"]
    assert entry.details == {"name": "Kim"}


@pytest.mark.django_db
def test_a_key_longer_than_the_limit_is_refused_with_400(member_api_client):
    # given a key one character too long
    key = "k" * (MAX_KEY_LENGTH + 1)

    # when it is sent
    response = _post(member_api_client, ENTRIES, {"amount": 1}, key=key)

    # then the request is refused before anything runs
    assert response.status_code == 400
    assert "Idempotency-Key" in response.json()["detail"]
    assert not AuditLogEntry.objects.exists()
    assert not IdempotencyKey.objects.exists()


@pytest.mark.django_db
def test_a_key_of_exactly_the_limit_is_accepted(member_api_client):
    # given the longest key allowed
    key = "k" * MAX_KEY_LENGTH

    # when it is sent twice
    first = _post(member_api_client, ENTRIES, {"amount": 1}, key=key)
    second = _post(member_api_client, ENTRIES, {"amount": 1}, key=key)

    # then it works like any other key
    assert first.status_code == 201
    assert second.headers["Idempotent-Replayed"] == "true"
    assert AuditLogEntry.objects.count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_requests_with_the_same_key_write_once():
    # given one user and two clients that will send the same keyed request at the same moment,
    # to a view that holds its transaction until the other request is blocked on the key
    user = UserFactory()
    idempotency_urls.peers_seen_waiting.clear()
    barrier = threading.Barrier(2, timeout=120)
    responses: list = [None, None]
    errors: list[BaseException] = []

    def send(slot: int) -> None:
        try:
            client = _client_for(user)
            barrier.wait()
            responses[slot] = _post(client, CONTENDED, {"amount": 10}, key="race-1")
        except BaseException as exc:  # reported in the main thread
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=send, args=(slot,)) for slot in (0, 1)]

    # when both are released together
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=600)

    # then the second request really waited for the first, exactly one write happened and both
    # clients got the same answer
    assert not errors, errors
    assert idempotency_urls.peers_seen_waiting == [True]
    assert not any(thread.is_alive() for thread in threads)
    assert [r.status_code for r in responses] == [201, 201]
    assert responses[0].json() == responses[1].json()
    replayed = sorted(r.headers.get("Idempotent-Replayed", "") for r in responses)
    assert replayed == ["", "true"]
    assert AuditLogEntry.objects.filter(action="test.idempotent").count() == 1
    assert IdempotencyKey.objects.filter(user=user, key="race-1").count() == 1


def _key_created(*, user, key: str, hours_ago: float) -> IdempotencyKey:
    record = IdempotencyKey.objects.create(
        user=user, key=key, fingerprint="f" * 64, response_status=201
    )
    # created_at is auto_now_add: backdate behind the model's back.
    IdempotencyKey.objects.filter(pk=record.pk).update(
        created_at=timezone.now() - timedelta(hours=hours_ago)
    )
    return record


@pytest.mark.django_db
def test_purge_removes_only_keys_older_than_the_cutoff(user):
    # given keys 49 and 47 hours old
    _key_created(user=user, key="old", hours_ago=49)
    _key_created(user=user, key="fresh", hours_ago=47)

    # when keys older than 48 hours are purged
    deleted = idempotency_keys_purge(older_than_hours=48)

    # then only the old one is gone
    assert deleted == 1
    assert list(IdempotencyKey.objects.values_list("key", flat=True)) == ["fresh"]


@pytest.mark.django_db
@override_settings(IDEMPOTENCY_KEY_TTL_HOURS=2)
def test_purge_task_uses_the_configured_ttl(user):
    # given keys either side of a two-hour TTL
    _key_created(user=user, key="old", hours_ago=3)
    _key_created(user=user, key="fresh", hours_ago=1)

    # when the periodic task runs (eagerly, as the tests run Celery)
    result = idempotency_keys_purge_task.delay()

    # then it purged by the setting and reported the count
    assert result.get() == 1
    assert list(IdempotencyKey.objects.values_list("key", flat=True)) == ["fresh"]


def test_purge_task_is_in_the_beat_schedule(settings):
    # given the settings' periodic schedule
    schedule = settings.CELERY_BEAT_SCHEDULE

    # then the purge task is in it under its registered name
    names = {entry["task"] for entry in schedule.values()}
    assert idempotency_keys_purge_task.name in names
