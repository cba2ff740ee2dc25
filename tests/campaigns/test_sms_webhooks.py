"""The SMS providers' webhooks: delivery receipts and inbound SMS from 46elks (a secret in the
path plus Basic auth) and Twilio (X-Twilio-Signature), parsed into neutral events, handed to the
registered handlers once per event id; 403 on a bad signature, 400 on malformed input, 200 on a
replay, 503 (never 500) when a handler fails."""

from __future__ import annotations

import base64
import datetime
import threading
from urllib.parse import urlsplit

import pytest
from django.db import connection
from django.test import Client
from django.urls import include, path

import campaigns.webhooks as registry
from campaigns.sms import Elks46SmsBackend, SmsMessage, TwilioSmsBackend, sms_http_pools_close
from campaigns.webhooks.models import WebhookEvent
from campaigns.webhooks.parsing import (
    DeliveryReceipt,
    InboundSms,
    basic_auth_valid,
    twilio_signature,
    twilio_signature_valid,
)
from campaigns.webhooks.services import webhook_event_process, webhook_events_purge
from tests.campaigns.fake_sms_servers import Fake46elks, FakeTwilio

# Routes the webhooks where config/urls.py mounts them.
urlpatterns = [path("webhooks/sms/", include("campaigns.webhooks.urls"))]

pytestmark = [pytest.mark.urls(__name__), pytest.mark.django_db]

SECRET = "k3Jd9sQw-path-secret"
HOOK_USER, HOOK_PASSWORD = "46elks", "hook-password"
TWILIO_SID, TWILIO_TOKEN = "AC" + "3" * 32, "twilio-auth-token"
ELKS_RECEIPT = f"/webhooks/sms/46elks/{SECRET}/receipt/"
ELKS_INBOUND = f"/webhooks/sms/46elks/{SECRET}/inbound/"
TWILIO_RECEIPT = "/webhooks/sms/twilio/receipt/"
TWILIO_INBOUND = "/webhooks/sms/twilio/inbound/"


@pytest.fixture(autouse=True)
def _providers(settings):
    settings.SMS_46ELKS_WEBHOOK_SECRET = SECRET
    settings.SMS_46ELKS_WEBHOOK_USER = HOOK_USER
    settings.SMS_46ELKS_WEBHOOK_PASSWORD = HOOK_PASSWORD
    settings.SMS_TWILIO_ACCOUNT_SID = TWILIO_SID
    settings.SMS_TWILIO_AUTH_TOKEN = TWILIO_TOKEN
    settings.SMS_TWILIO_MESSAGING_SERVICE_SID = ""
    settings.SMS_CALLBACK_BASE_URL = ""


@pytest.fixture
def handled(monkeypatch):
    """What the registered handlers were given (the registries emptied for the test)."""
    events: list[DeliveryReceipt | InboundSms] = []
    monkeypatch.setattr(registry, "_receipt_handlers", [])
    monkeypatch.setattr(registry, "_inbound_handlers", [])
    registry.receipt_handler_register(events.append)
    registry.inbound_handler_register(events.append)
    return events


@pytest.fixture
def client():
    return Client(enforce_csrf_checks=True)  # the providers have no CSRF token


def basic(user=HOOK_USER, password=HOOK_PASSWORD) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def elks_post(client, url, data, auth=None):
    return client.post(url, data, headers={"authorization": auth or basic()})


def twilio_post(client, url, data, *, signed_url=None, token=TWILIO_TOKEN, signature=None):
    signed_url = signed_url or f"http://testserver{url}"
    params = {key: [value] for key, value in data.items()}
    if signature is None:
        signature = twilio_signature(url=signed_url, params=params, token=token)
    return client.post(url, data, headers={"x-twilio-signature": signature})


def twilio_status(sid="SM" + "a" * 32, status="delivered", **extra) -> dict:
    return {
        "MessageSid": sid,
        "SmsSid": sid,
        "MessageStatus": status,
        "SmsStatus": status,
        "AccountSid": TWILIO_SID,
        "From": "+46766861004",
        "To": "+46701234567",
        "ApiVersion": "2010-04-01",
        **extra,
    }


# --- Twilio signatures -----------------------------------------------------------------------


def test_the_signature_matches_twilios_published_example():
    params = {
        "CallSid": ["CA1234567890ABCDE"],
        "Caller": ["+14158675310"],
        "Digits": ["1234"],
        "From": ["+14158675310"],
        "To": ["+18005551212"],
    }
    url = "https://mycompany.com/myapp.php?foo=1&bar=2"

    assert twilio_signature(url=url, params=params, token="12345") == "GvWf1cFY/Q7PnoempGyD5oXAezc="
    assert twilio_signature_valid(
        url=url, params=params, signature="GvWf1cFY/Q7PnoempGyD5oXAezc=", token="12345"
    )
    assert not twilio_signature_valid(
        url=url, params=params, signature="GvWf1cFY/Q7PnoempGyD5oXAezd=", token="12345"
    )
    assert not twilio_signature_valid(url=url, params=params, signature="x", token="")


def test_a_signature_holds_with_or_without_the_default_port():
    params = {"Body": ["STOP"]}
    signed = twilio_signature(url="https://club.example.com:443/hook/", params=params, token="t")

    assert twilio_signature_valid(
        url="https://club.example.com/hook/", params=params, signature=signed, token="t"
    )


def test_a_twilio_receipt_is_handed_over_once(client, handled):
    response = twilio_post(client, TWILIO_RECEIPT, twilio_status())

    assert response.status_code == 200
    (receipt,) = handled
    assert receipt == DeliveryReceipt(
        provider="twilio",
        provider_message_id="SM" + "a" * 32,
        status="delivered",
        event_id=f"SM{'a' * 32}:delivered",
        error="",
        occurred_at=receipt.occurred_at,
    )
    event = WebhookEvent.objects.get()
    assert (event.provider, event.kind) == ("twilio", "receipt")

    replay = twilio_post(client, TWILIO_RECEIPT, twilio_status())

    assert replay.status_code == 200
    assert len(handled) == 1
    assert WebhookEvent.objects.count() == 1


def test_the_next_status_of_the_same_message_is_a_new_event(client, handled):
    twilio_post(client, TWILIO_RECEIPT, twilio_status(status="sent"))
    twilio_post(client, TWILIO_RECEIPT, twilio_status(status="delivered"))

    assert [receipt.status for receipt in handled] == ["sent", "delivered"]


def test_a_failed_twilio_message_carries_its_error_code(client, handled):
    response = twilio_post(
        client, TWILIO_RECEIPT, twilio_status(status="undelivered", ErrorCode="30003")
    )

    assert response.status_code == 200
    assert (handled[0].status, handled[0].error) == ("failed", "30003")


@pytest.mark.parametrize("status", ["queued", "accepted", "sending"])
def test_interim_twilio_statuses_are_acknowledged_and_ignored(client, handled, status):
    response = twilio_post(client, TWILIO_RECEIPT, twilio_status(status=status))

    assert response.status_code == 200
    assert handled == []
    assert not WebhookEvent.objects.exists()


@pytest.mark.parametrize(
    "tamper",
    [
        pytest.param({"signature": "bm90IHRoZSBzaWduYXR1cmU="}, id="wrong signature"),
        pytest.param({"signature": ""}, id="no signature"),
        pytest.param({"token": "another-accounts-token"}, id="another token"),
        pytest.param({"signed_url": "http://testserver/elsewhere/"}, id="signed for another url"),
    ],
)
def test_a_bad_twilio_signature_is_refused(client, handled, tamper):
    response = twilio_post(client, TWILIO_RECEIPT, twilio_status(), **tamper)

    assert response.status_code == 403
    assert handled == []
    assert not WebhookEvent.objects.exists()


def test_a_signed_body_changed_in_transit_is_refused(client, handled):
    signature = twilio_signature(
        url=f"http://testserver{TWILIO_RECEIPT}",
        params={k: [v] for k, v in twilio_status(status="failed").items()},
        token=TWILIO_TOKEN,
    )

    response = twilio_post(client, TWILIO_RECEIPT, twilio_status(), signature=signature)

    assert response.status_code == 403
    assert handled == []


def test_twilio_is_refused_while_no_auth_token_is_set(client, handled, settings):
    settings.SMS_TWILIO_AUTH_TOKEN = ""

    response = twilio_post(client, TWILIO_RECEIPT, twilio_status(), token="")

    assert response.status_code == 403


def test_the_signature_is_checked_against_the_public_address(client, handled, settings):
    settings.SMS_CALLBACK_BASE_URL = "https://club.example.com/"
    public = f"https://club.example.com{TWILIO_RECEIPT}?attempt=2"

    response = twilio_post(
        client, f"{TWILIO_RECEIPT}?attempt=2", twilio_status(), signed_url=public
    )
    as_seen_here = twilio_post(client, f"{TWILIO_RECEIPT}?attempt=3", twilio_status(sid="SMb"))

    assert response.status_code == 200
    assert as_seen_here.status_code == 403  # signed for http://testserver, not our address
    assert len(handled) == 1


def test_a_signed_but_malformed_twilio_receipt_is_a_bad_request(client, handled):
    data = twilio_status()
    del data["MessageStatus"], data["SmsStatus"]

    response = twilio_post(client, TWILIO_RECEIPT, data)

    assert response.status_code == 400
    assert handled == []


def test_an_unknown_twilio_status_is_a_bad_request(client, handled):
    response = twilio_post(client, TWILIO_RECEIPT, twilio_status(status="teleported"))

    assert response.status_code == 400


def test_a_stop_reply_through_twilio_reaches_the_inbound_handlers(client, handled):
    data = {
        "MessageSid": "SM" + "c" * 32,
        "AccountSid": TWILIO_SID,
        "From": "+46701234567",
        "To": "+46766861004",
        "Body": "Stop",
        "NumMedia": "0",
    }

    response = twilio_post(client, TWILIO_INBOUND, data)

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/xml")
    assert response.content.decode().endswith("<Response></Response>")  # no reply SMS
    (sms,) = handled
    assert sms == InboundSms(
        provider="twilio",
        from_number="+46701234567",
        text="Stop",
        event_id="SM" + "c" * 32,
        to_number="+46766861004",
    )
    assert sms.is_stop
    assert WebhookEvent.objects.get().kind == "inbound"
    assert twilio_post(client, TWILIO_INBOUND, data).status_code == 200
    assert len(handled) == 1


def test_webhooks_take_only_post(client, handled):
    assert client.get(TWILIO_RECEIPT).status_code == 405
    assert client.get(ELKS_RECEIPT).status_code == 405


# --- 46elks ----------------------------------------------------------------------------------


def test_a_46elks_receipt_is_handed_over_once(client, handled):
    data = {
        "id": "s70df59406a1b4643b96f3f91e0bfb7b0",
        "status": "delivered",
        "delivered": "2026-12-01T08:00:05.120000",
    }

    response = elks_post(client, ELKS_RECEIPT, data)

    assert response.status_code == 200
    assert response.content == b""
    (receipt,) = handled
    assert receipt == DeliveryReceipt(
        provider="46elks",
        provider_message_id="s70df59406a1b4643b96f3f91e0bfb7b0",
        status="delivered",
        event_id="s70df59406a1b4643b96f3f91e0bfb7b0:delivered",
        error="",
        occurred_at=datetime.datetime(2026, 12, 1, 8, 0, 5, 120000, tzinfo=datetime.UTC),
    )
    assert elks_post(client, ELKS_RECEIPT, data).status_code == 200
    assert len(handled) == 1


def test_a_failed_46elks_message(client, handled):
    response = elks_post(client, ELKS_RECEIPT, {"id": "s1", "status": "failed"})

    assert response.status_code == 200
    assert (handled[0].status, handled[0].error) == ("failed", "failed")


@pytest.mark.parametrize(
    ("url", "auth"),
    [
        pytest.param("/webhooks/sms/46elks/guessed/receipt/", None, id="wrong secret"),
        pytest.param(ELKS_RECEIPT, basic(password="guess"), id="wrong password"),
        pytest.param(ELKS_RECEIPT, basic(user="someone"), id="wrong user"),
        pytest.param(ELKS_RECEIPT, "Bearer abc", id="not basic auth"),
        pytest.param(ELKS_RECEIPT, "Basic !!!not-base64", id="garbled"),
        pytest.param(ELKS_INBOUND, basic(password=""), id="empty password"),
    ],
)
def test_46elks_without_the_secret_and_credentials_is_refused(client, handled, url, auth):
    response = elks_post(client, url, {"id": "s1", "status": "delivered"}, auth=auth)

    assert response.status_code == 403
    assert handled == []
    assert not WebhookEvent.objects.exists()


def test_46elks_without_an_authorization_header_is_refused(client, handled):
    response = client.post(ELKS_RECEIPT, {"id": "s1", "status": "delivered"})

    assert response.status_code == 403


def test_46elks_is_refused_while_the_secret_is_unset(client, handled, settings):
    settings.SMS_46ELKS_WEBHOOK_SECRET = ""

    response = elks_post(client, "/webhooks/sms/46elks/x/receipt/", {"id": "s1", "status": "sent"})

    assert response.status_code == 403


@pytest.mark.parametrize(
    "data",
    [
        {"status": "delivered"},
        {"id": "s1"},
        {"id": "s1", "status": "evaporated"},
        {"id": "s1", "status": "delivered", "delivered": "yesterday"},
    ],
)
def test_a_malformed_46elks_receipt_is_a_bad_request(client, handled, data):
    response = elks_post(client, ELKS_RECEIPT, data)

    assert response.status_code == 400
    assert handled == []


@pytest.mark.parametrize("text", ["STOP", "stopp", " Stop!", "AVSLUTA tack", "unsubscribe"])
def test_a_stop_reply_through_46elks(client, handled, text):
    data = {
        "id": "sf8b0f4a1",
        "from": "+46701234567",
        "to": "+46766861004",
        "message": text,
        "direction": "incoming",
        "created": "2026-12-01T08:00:00.0",
    }

    response = elks_post(client, ELKS_INBOUND, data)

    assert response.status_code == 200
    assert response.content == b""  # 46elks would send a non-empty answer as a reply SMS
    (sms,) = handled
    assert (sms.provider, sms.from_number, sms.text, sms.event_id) == (
        "46elks",
        "+46701234567",
        text,
        "sf8b0f4a1",
    )
    assert sms.is_stop


@pytest.mark.parametrize("text", ["", "Hej!", "Stoppa inte", "Please don't stop"])
def test_other_replies_are_not_stop(text):
    sms = InboundSms(provider="46elks", from_number="+46701234567", text=text, event_id="x")

    assert not sms.is_stop


def test_an_inbound_sms_from_no_number_is_a_bad_request(client, handled):
    response = elks_post(client, ELKS_INBOUND, {"id": "s2", "from": "Telia", "message": "Hej"})

    assert response.status_code == 400


def test_basic_auth_compares_the_whole_credentials():
    assert basic_auth_valid(basic(), user=HOOK_USER, password=HOOK_PASSWORD)
    assert not basic_auth_valid(basic(), user=HOOK_USER, password="")
    assert not basic_auth_valid(
        "Basic " + base64.b64encode(HOOK_USER.encode()).decode(), user=HOOK_USER, password="x"
    )


# --- Handlers that fail ----------------------------------------------------------------------


def test_a_failing_handler_answers_503_and_the_retry_is_processed(client, handled):
    calls = []

    def flaky(receipt):
        calls.append(receipt)
        if len(calls) == 1:
            raise RuntimeError("database of the handler is down")

    registry.receipt_handler_register(flaky)
    data = {"id": "s9", "status": "delivered"}

    first = elks_post(client, ELKS_RECEIPT, data)

    assert first.status_code == 503
    assert not WebhookEvent.objects.exists()  # rolled back with the handler's work

    retry = elks_post(client, ELKS_RECEIPT, data)

    assert retry.status_code == 200
    assert len(calls) == 2
    assert WebhookEvent.objects.count() == 1


def test_old_events_are_purged_and_recent_ones_kept(client, handled):
    elks_post(client, ELKS_RECEIPT, {"id": "s-old", "status": "delivered"})
    elks_post(client, ELKS_RECEIPT, {"id": "s-new", "status": "delivered"})
    WebhookEvent.objects.filter(event_id="s-old:delivered").update(
        received_at=datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
    )

    assert webhook_events_purge(older_than=datetime.timedelta(days=30)) == 1
    assert list(WebhookEvent.objects.values_list("event_id", flat=True)) == ["s-new:delivered"]


# --- End to end: what the backends ask for is what the webhooks accept -----------------------


def test_46elks_calls_back_at_the_url_the_backend_gave_it(client, handled, settings):
    settings.SMS_CALLBACK_BASE_URL = "https://club.example.com"
    settings.SMS_46ELKS_USERNAME, settings.SMS_46ELKS_PASSWORD = "api-user", "api-password"
    with Fake46elks(user="api-user", password="api-password") as elks:
        sent = Elks46SmsBackend(api_url=elks.api_url, rate=0).send_message(
            SmsMessage(to="+46701234567", body="Hej")
        )
        callback = urlsplit(elks.accepted[0].form["whendelivered"])
    sms_http_pools_close()

    response = elks_post(
        client,
        callback.path,
        {"id": sent.provider_message_id, "status": "delivered"},
        auth=basic(callback.username, callback.password),
    )

    assert response.status_code == 200
    assert handled[0].provider_message_id == sent.provider_message_id


def test_twilio_calls_back_at_the_url_the_backend_gave_it(client, handled, settings):
    settings.SMS_CALLBACK_BASE_URL = "https://club.example.com"
    with FakeTwilio(user=TWILIO_SID, password=TWILIO_TOKEN) as twilio:
        sent = TwilioSmsBackend(api_url=twilio.api_url, rate=0).send_message(
            SmsMessage(to="+46701234567", body="Hej")
        )
        callback = twilio.accepted[0].form["StatusCallback"]
    sms_http_pools_close()

    response = twilio_post(
        client,
        urlsplit(callback).path,
        twilio_status(sid=sent.provider_message_id),
        signed_url=callback,
    )

    assert response.status_code == 200
    assert handled[0].provider_message_id == sent.provider_message_id


def test_a_body_that_cannot_be_parsed_is_a_bad_request_not_a_crash(client, handled):
    response = client.post(
        ELKS_RECEIPT,
        data=b"--no-boundary-declared\r\n",
        content_type="multipart/form-data",
        headers={"authorization": basic()},
    )

    assert response.status_code == 400
    assert handled == []


# --- The same event at the same moment -------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_same_receipt_delivered_twice_at_once_is_handled_once(handled):
    receipt = DeliveryReceipt(
        provider="46elks", provider_message_id="s1", status="delivered", event_id="s1:delivered"
    )
    barrier = threading.Barrier(4)
    results: list[object] = [None] * 4

    def deliver(index):
        try:
            barrier.wait(timeout=30)
            results[index] = webhook_event_process(event=receipt)
        except Exception as error:  # reported by the assertion below
            results[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=deliver, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert sorted(results, key=str) == [False, False, False, True]
    assert len(handled) == 1
    assert WebhookEvent.objects.count() == 1
