"""The SMS backends against local servers that speak the 46elks and Twilio APIs: what they send,
how they read the answers, errors told apart as transient or permanent, time-outs, connection
reuse, and the rate limit (its decisions, never its timing)."""

from __future__ import annotations

import base64
import subprocess
import sys
import uuid
from pathlib import Path
from types import ModuleType
from urllib.parse import urlsplit

import pytest
from django.urls import include, path
from django.utils import translation

from campaigns import sms
from campaigns.sms import (
    Elks46SmsBackend,
    LocalTokenBucket,
    RedisTokenBucket,
    SmsConfigurationError,
    SmsInvalidNumber,
    SmsMessage,
    SmsPermanentError,
    SmsRateLimited,
    SmsRecipientOptedOut,
    SmsTimeout,
    SmsTransientError,
    TwilioSmsBackend,
    get_sms_backend,
    send_sms,
    sms_rate_limiter,
)
from tests.campaigns.fake_sms_servers import Fake46elks, FakeTwilio, Scripted

ROOT = Path(__file__).resolve().parent.parent.parent

# Routes the webhooks, as config/urls.py does, for the callback URLs (pytest.mark.urls).
urlpatterns = [path("webhooks/sms/", include("campaigns.webhooks.urls"))]

ELKS_USER, ELKS_PASSWORD = "u0123456789abcdef", "elks-api-password"
TWILIO_SID, TWILIO_TOKEN = "AC" + "1" * 32, "twilio-auth-token"


class FakeClock:
    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture(autouse=True)
def _providers(settings):
    settings.SMS_SENDER = "Lojal"
    settings.SMS_46ELKS_USERNAME = ELKS_USER
    settings.SMS_46ELKS_PASSWORD = ELKS_PASSWORD
    settings.SMS_TWILIO_ACCOUNT_SID = TWILIO_SID
    settings.SMS_TWILIO_AUTH_TOKEN = TWILIO_TOKEN
    settings.SMS_TWILIO_MESSAGING_SERVICE_SID = ""
    settings.SMS_CALLBACK_BASE_URL = ""
    settings.SMS_46ELKS_WEBHOOK_SECRET = ""
    settings.SMS_46ELKS_WEBHOOK_PASSWORD = ""
    yield
    sms.sms_http_pools_close()


@pytest.fixture
def elks():
    with Fake46elks(user=ELKS_USER, password=ELKS_PASSWORD) as server:
        yield server


@pytest.fixture
def twilio():
    with FakeTwilio(user=TWILIO_SID, password=TWILIO_TOKEN) as server:
        yield server


def elks_backend(server, **kwargs) -> Elks46SmsBackend:
    kwargs.setdefault("rate", 0)
    return Elks46SmsBackend(api_url=server.api_url, **kwargs)


def twilio_backend(server, **kwargs) -> TwilioSmsBackend:
    kwargs.setdefault("rate", 0)
    return TwilioSmsBackend(api_url=server.api_url, **kwargs)


def message(to="+46701234567", body="Hej! Dina poäng går ut snart.") -> SmsMessage:
    return SmsMessage(to=to, body=body)


# --- Sending ---------------------------------------------------------------------------------


def test_46elks_posts_the_form_with_basic_auth_and_reads_the_id(elks):
    outgoing = message()

    sent = elks_backend(elks).send_message(outgoing)

    (request,) = elks.accepted
    assert request.path == "/a1/sms"
    assert request.form == {"from": "Lojal", "to": "+46701234567", "message": outgoing.body}
    expected = base64.b64encode(f"{ELKS_USER}:{ELKS_PASSWORD}".encode()).decode()
    assert request.headers["authorization"] == f"Basic {expected}"
    assert sent.provider == "46elks"
    assert sent.provider_message_id.startswith("s")
    assert sent.status == "created"
    assert sent.parts == 1
    assert outgoing.provider_message_id == sent.provider_message_id
    assert outgoing.provider_id == sent.provider_message_id


@pytest.mark.urls(__name__)
def test_46elks_asks_for_receipts_at_the_secret_url_with_basic_auth(elks, settings):
    settings.SMS_CALLBACK_BASE_URL = "https://club.example.com/"
    settings.SMS_46ELKS_WEBHOOK_SECRET = "s3cret-path"
    settings.SMS_46ELKS_WEBHOOK_USER = "elks"
    settings.SMS_46ELKS_WEBHOOK_PASSWORD = "p@ss:word"

    elks_backend(elks).send_message(message())

    callback = urlsplit(elks.accepted[0].form["whendelivered"])
    assert callback.scheme == "https"
    assert callback.hostname == "club.example.com"
    assert callback.path == "/webhooks/sms/46elks/s3cret-path/receipt/"
    assert (callback.username, callback.password) == ("elks", "p%40ss%3Aword")


def test_receipts_are_asked_for_when_campaigns_mounts_the_webhooks_itself(twilio, settings):
    campaigns_urls = ([path("sms/", include("campaigns.webhooks.urls"))], "campaigns")
    urlconf = ModuleType("campaigns_mounted_urls")
    urlconf.urlpatterns = [path("c/", include(campaigns_urls))]  # type: ignore[attr-defined]
    settings.ROOT_URLCONF = urlconf
    settings.SMS_CALLBACK_BASE_URL = "https://club.example.com"

    twilio_backend(twilio).send_message(message())

    assert twilio.accepted[0].form["StatusCallback"] == (
        "https://club.example.com/c/sms/twilio/receipt/"
    )


def test_no_receipt_url_without_a_public_address(elks, twilio):
    elks_backend(elks).send_message(message())
    twilio_backend(twilio).send_message(message())

    assert "whendelivered" not in elks.accepted[0].form
    assert "StatusCallback" not in twilio.accepted[0].form


@pytest.mark.urls(__name__)
def test_twilio_posts_to_the_account_messages_and_asks_for_status_callbacks(twilio, settings):
    settings.SMS_CALLBACK_BASE_URL = "https://club.example.com"
    outgoing = message(body="Välkommen till klubben! Svara STOP för att avsluta.")

    sent = twilio_backend(twilio).send_message(outgoing)

    (request,) = twilio.accepted
    assert request.path == f"/2010-04-01/Accounts/{TWILIO_SID}/Messages.json"
    assert request.form == {
        "To": "+46701234567",
        "From": "Lojal",
        "Body": outgoing.body,
        "StatusCallback": "https://club.example.com/webhooks/sms/twilio/receipt/",
    }
    assert sent.provider == "twilio"
    assert sent.provider_message_id.startswith("SM")
    assert (sent.status, sent.parts) == ("queued", 1)


def test_twilio_sends_through_a_messaging_service_when_one_is_set(twilio, settings):
    settings.SMS_TWILIO_MESSAGING_SERVICE_SID = "MG" + "2" * 32

    twilio_backend(twilio).send_message(message())

    form = twilio.accepted[0].form
    assert form["MessagingServiceSid"] == "MG" + "2" * 32
    assert "From" not in form


@pytest.mark.parametrize("provider", ["46elks", "twilio"])
def test_a_batch_reuses_one_kept_alive_connection(provider, elks, twilio):
    server, backend = (
        (elks, elks_backend(elks))
        if provider == "46elks"
        else (
            twilio,
            twilio_backend(twilio),
        )
    )
    messages = [message(to=f"+4670123456{n}") for n in range(4)]

    assert backend.send_messages(messages) == 4
    # A second backend instance (the next task) shares the process's pool too.
    type(backend)(api_url=server.api_url, rate=0).send_message(message())

    assert len(server.accepted) == 5
    assert {request.connection for request in server.accepted} == {1}
    assert all(m.provider_message_id for m in messages)


def test_the_backend_is_chosen_by_settings(elks, settings):
    settings.SMS_BACKEND = "campaigns.sms.Elks46SmsBackend"
    settings.SMS_46ELKS_API_URL = elks.api_url
    settings.SMS_46ELKS_RATE = 0

    assert send_sms(to="+46701234567", body="Hej") == 1
    assert isinstance(get_sms_backend(), Elks46SmsBackend)
    assert len(elks.accepted) == 1


def test_the_local_backends_keep_their_interface(settings):
    settings.SMS_BACKEND = "campaigns.sms.LocMemSmsBackend"
    sms.outbox.clear()
    outgoing = message()

    sent = get_sms_backend().send_message(outgoing)

    assert sms.outbox == [outgoing]
    assert sent.provider == "locmem"
    assert sent.provider_message_id == outgoing.reference
    assert send_sms(to="+46701234568", body="Hej") == 1
    assert len(sms.outbox) == 2


@pytest.mark.parametrize("to", ["", "0701234567", "+46 70 123", "+٤٦٧٠١٢٣٤٥٦٧", "+"])
def test_a_message_needs_an_e164_number(to):
    with pytest.raises(ValueError, match=r"E\.164"):
        SmsMessage(to=to, body="Hej")


# --- Errors ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("answer", "error", "retryable", "maybe_sent"),
    [
        (Scripted(400, "Invalid 'to' phone number"), SmsInvalidNumber, False, False),
        (Scripted(400, "Invalid 'from' sender"), SmsConfigurationError, False, False),
        (
            Scripted(401, "API access requires Basic HTTP authentication"),
            SmsConfigurationError,
            False,
            False,
        ),
        (Scripted(402, "Not enough credits"), SmsConfigurationError, False, False),
        (Scripted(400, "Message too long"), SmsPermanentError, False, False),
        (Scripted(404, "Not found"), SmsConfigurationError, False, False),
        (Scripted(429, "Too many requests", {"Retry-After": "3"}), SmsRateLimited, True, False),
        (Scripted(500, "Internal server error"), SmsTransientError, True, False),
        (Scripted(503, "Service unavailable"), SmsTransientError, True, False),
        (Scripted(504, "Gateway timeout"), SmsTransientError, True, True),
        (Scripted(200, "not json"), SmsTransientError, True, True),
    ],
)
def test_46elks_errors_say_whether_to_retry(elks, answer, error, retryable, maybe_sent):
    elks.script(answer)

    with pytest.raises(error) as caught:
        elks_backend(elks).send_message(message())

    assert type(caught.value) is error
    assert caught.value.retryable is retryable
    assert caught.value.maybe_sent is maybe_sent
    assert caught.value.provider == "46elks"
    if answer.status == 429:
        assert caught.value.retry_after == 3.0


def test_a_text_over_the_part_limit_never_reaches_the_provider(elks):
    with pytest.raises(SmsPermanentError) as caught:
        elks_backend(elks).send_message(message(body="ł" * 671))  # 11 UCS-2 parts

    assert caught.value.code == "too_long"
    assert str(caught.value) == (
        "46elks: The text needs 11 SMS parts; at most 10 are allowed. [too_long]"
    )
    assert elks.received == []


def test_our_own_reasons_are_translated(elks):
    elks.stop()

    with translation.override("sv"), pytest.raises(SmsTransientError) as caught:
        elks_backend(elks).send_message(message())

    assert str(caught.value) == "46elks: Kunde inte ansluta (NewConnectionError)."


@pytest.mark.parametrize(
    ("error", "outcome"),
    [
        (SmsTimeout("x", maybe_sent=True), "in_doubt"),
        (SmsTransientError("x", maybe_sent=True), "in_doubt"),
        (SmsTimeout("x"), "retry"),
        (SmsRateLimited("x"), "retry"),
        (SmsConfigurationError("x"), "pause"),
        (SmsInvalidNumber("x"), "failed"),
        (SmsRecipientOptedOut("x"), "failed"),
        (SmsPermanentError("x"), "failed"),
    ],
)
def test_each_error_says_what_the_sender_does(error, outcome):
    assert error.outcome == outcome


def test_46elks_refuses_an_invalid_number_itself(elks):
    with pytest.raises(SmsInvalidNumber, match="Invalid 'to' phone number"):
        elks_backend(elks).send_message(message(to="+4"))


def test_wrong_credentials_are_a_configuration_error(elks, settings):
    settings.SMS_46ELKS_PASSWORD = "wrong"

    with pytest.raises(SmsConfigurationError) as caught:
        elks_backend(elks).send_message(message())

    assert caught.value.http_status == 401
    assert "wrong" not in str(caught.value)


def test_missing_credentials_fail_before_any_request(elks, settings):
    settings.SMS_46ELKS_PASSWORD = ""

    with pytest.raises(SmsConfigurationError, match="SMS_46ELKS_PASSWORD"):
        elks_backend(elks).send_message(message())

    assert elks.received == []


@pytest.mark.parametrize(
    ("answer", "error", "code", "retryable"),
    [
        (
            FakeTwilio.error(400, 21211, "The 'To' number is not valid."),
            SmsInvalidNumber,
            "21211",
            False,
        ),
        (
            FakeTwilio.error(400, 21614, "'To' number is not a valid mobile number"),
            SmsInvalidNumber,
            "21614",
            False,
        ),
        (
            FakeTwilio.error(400, 21610, "Attempt to send to unsubscribed recipient"),
            SmsRecipientOptedOut,
            "21610",
            False,
        ),
        (
            FakeTwilio.error(400, 21408, "Permission to send an SMS has not been enabled"),
            SmsConfigurationError,
            "21408",
            False,
        ),
        (FakeTwilio.error(401, 20003, "Authenticate"), SmsConfigurationError, "20003", False),
        (
            FakeTwilio.error(400, 21617, "The concatenated message body exceeds 1600 characters"),
            SmsPermanentError,
            "21617",
            False,
        ),
        (
            FakeTwilio.error(429, 20429, "Too Many Requests", {"Retry-After": "2"}),
            SmsRateLimited,
            "20429",
            True,
        ),
        (FakeTwilio.error(500, 20500, "Internal Server Error"), SmsTransientError, "20500", True),
        (Scripted(502, "Bad gateway"), SmsTransientError, "502", True),
    ],
)
def test_twilio_errors_say_whether_to_retry(twilio, answer, error, code, retryable):
    twilio.script(answer)

    with pytest.raises(error) as caught:
        twilio_backend(twilio).send_message(message())

    assert type(caught.value) is error
    assert caught.value.code == code
    assert caught.value.retryable is retryable
    assert not caught.value.maybe_sent


def test_twilio_refuses_an_invalid_number_itself(twilio):
    with pytest.raises(SmsInvalidNumber) as caught:
        twilio_backend(twilio).send_message(message(to="+4"))

    assert caught.value.code == "21211"
    assert caught.value.http_status == 400


@pytest.mark.parametrize("provider", ["46elks", "twilio"])
def test_a_time_out_after_sending_is_transient_and_in_doubt(provider, elks, twilio):
    server = elks if provider == "46elks" else twilio
    backend = (elks_backend if provider == "46elks" else twilio_backend)(server, read_timeout=0.2)
    server.hold_next()

    with pytest.raises(SmsTimeout) as caught:
        backend.send_message(message())

    # The request reached the provider (its handler holds it): the SMS may be on its way.
    assert server.held.wait(timeout=30)
    assert caught.value.retryable
    assert caught.value.maybe_sent
    server.release.set()


def test_a_refused_connection_is_transient_and_nothing_was_sent(elks):
    backend = elks_backend(elks)
    elks.stop()

    with pytest.raises(SmsTransientError) as caught:
        backend.send_message(message())

    assert caught.value.retryable
    assert not caught.value.maybe_sent


def test_the_provider_rate_limit_stops_a_batch_at_the_first_refusal(twilio):
    twilio.rate_limit_after(2)
    messages = [message(to=f"+4670123450{n}") for n in range(3)]

    with pytest.raises(SmsRateLimited) as caught:
        twilio_backend(twilio).send_messages(messages)

    assert caught.value.retry_after == 2.0
    assert [bool(m.provider_message_id) for m in messages] == [True, True, False]
    twilio.rate_limit_after(None)
    twilio_backend(twilio).send_message(messages[2])
    assert len(twilio.accepted) == 3


# --- Our rate limit: the bucket's decisions --------------------------------------------------


def test_local_bucket_grants_its_capacity_then_says_how_long_to_wait():
    clock = FakeClock()
    bucket = LocalTokenBucket(rate=2, capacity=2, clock=clock)

    assert [bucket.take(), bucket.take()] == [0.0, 0.0]
    assert bucket.take() == pytest.approx(0.5)
    clock.now += 0.25
    assert bucket.take() == pytest.approx(0.25)
    clock.now += 0.25
    assert bucket.take() == 0.0
    assert bucket.take() == pytest.approx(0.5)
    clock.now += 60  # a long pause saves up no more than the capacity
    assert [bucket.take(), bucket.take()] == [0.0, 0.0]
    assert bucket.take() > 0


def test_local_bucket_refuses_nonsense():
    with pytest.raises(ValueError):
        LocalTokenBucket(rate=0, capacity=1)


@pytest.fixture
def redis_client():
    import redis
    from django.conf import settings

    client = redis.Redis.from_url(settings.REDIS_URL)
    yield client
    client.close()


@pytest.mark.redis
def test_redis_bucket_makes_the_same_decisions(redis_client):
    clock = FakeClock()
    key = f"test:sms:{uuid.uuid4().hex}"
    bucket = RedisTokenBucket(client=redis_client, key=key, rate=2, capacity=2, clock=clock)

    assert [bucket.take(), bucket.take()] == [0.0, 0.0]
    assert bucket.take() == pytest.approx(0.5)
    clock.now += 0.5
    assert bucket.take() == 0.0
    assert bucket.take() == pytest.approx(0.5)
    assert redis_client.pttl(key) > 0  # an idle bucket goes away


@pytest.mark.redis
def test_redis_bucket_is_shared_by_every_holder(redis_client):
    import redis
    from django.conf import settings

    clock = FakeClock()
    key = f"test:sms:{uuid.uuid4().hex}"
    other_client = redis.Redis.from_url(settings.REDIS_URL)
    first = RedisTokenBucket(client=redis_client, key=key, rate=1, capacity=3, clock=clock)
    second = RedisTokenBucket(client=other_client, key=key, rate=1, capacity=3, clock=clock)

    decisions = [first.take(), second.take(), first.take(), second.take(), first.take()]

    assert [wait == 0 for wait in decisions] == [True, True, True, False, False]
    clock.now += 1
    assert second.take() == 0.0
    assert first.take() > 0
    other_client.close()


@pytest.mark.redis
def test_redis_bucket_is_shared_across_processes(redis_client):
    """Three worker processes, each trying five sends at the same moment against a bucket of
    four: four are granted in all, whichever process gets them."""
    from django.conf import settings

    key = f"test:sms:{uuid.uuid4().hex}"
    program = (
        "import redis, sys\n"
        "from campaigns.sms import RedisTokenBucket\n"
        "client = redis.Redis.from_url(sys.argv[1])\n"
        "bucket = RedisTokenBucket(client=client, key=sys.argv[2], rate=1, capacity=4,"
        " clock=lambda: 5000.0)\n"
        "print(sum(bucket.take() == 0 for _ in range(5)))\n"
    )
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", program, settings.REDIS_URL, key],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(3)
    ]
    granted = [int(worker.communicate(timeout=120)[0]) for worker in workers]

    assert sum(granted) == 4
    assert all(worker.returncode == 0 for worker in workers)


def test_without_redis_the_bucket_decides_in_the_process():
    import redis

    clock = FakeClock()
    unreachable = redis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=1)
    bucket = RedisTokenBucket(client=unreachable, key="k", rate=1, capacity=2, clock=clock)

    assert [bucket.take(), bucket.take()] == [0.0, 0.0]
    assert bucket.take() == pytest.approx(1.0)
    clock.now += 1
    assert bucket.take() == 0.0


def test_the_limiter_is_in_redis_when_there_is_redis(settings):
    settings.REDIS_URL = ""
    local = sms_rate_limiter(name="test-local", rate=5)
    assert isinstance(local, LocalTokenBucket)
    assert sms_rate_limiter(name="test-local", rate=5) is local  # one per process
    assert sms_rate_limiter(name="test-local", rate=0) is None
    settings.REDIS_URL = "redis://127.0.0.1:6379/15"
    assert isinstance(sms_rate_limiter(name="test-redis", rate=5), RedisTokenBucket)


def test_a_send_waits_for_its_token_and_gives_up_past_the_limit(elks):
    clock = FakeClock()
    waits: list[float] = []

    def sleep(seconds: float) -> None:  # the backend's wait, made instant by moving the clock
        waits.append(seconds)
        clock.now += seconds

    backend = elks_backend(elks, rate=1, rate_limit_max_wait=1.0, sleep=sleep)
    backend.bucket = LocalTokenBucket(rate=1, capacity=1, clock=clock)

    backend.send_message(message())
    backend.send_message(message())
    assert waits == [pytest.approx(1.0)]

    impatient = elks_backend(elks, rate=1, rate_limit_max_wait=0.5, sleep=sleep)
    impatient.bucket = backend.bucket
    with pytest.raises(SmsRateLimited) as caught:
        impatient.send_message(message())

    assert caught.value.retryable
    assert caught.value.retry_after == pytest.approx(1.0)
    assert not caught.value.maybe_sent
    assert len(elks.received) == 2  # the refused one never reached the provider
