"""Local HTTP servers that speak the 46elks and Twilio SMS APIs, for the backends' tests.

Each runs ``http.server`` in a thread on 127.0.0.1 (port 0: the system picks a free one), speaks
HTTP/1.1 with keep-alive, checks Basic auth and the form fields the way the provider does, and
answers like it: 46elks with JSON {id, status, parts, ...} or a plain-text error, Twilio with JSON
{sid, status, num_segments, ...} or {code, message, status}. A test scripts what comes next:

    server.script(Scripted(status=503))     # the next request gets this answer
    server.hold_next()                      # the next request waits until server.release is set
    server.rate_limit_after(2)              # after two accepted messages, 429 until reset

Nothing here sleeps: a held request waits on an Event that the test sets.
"""

from __future__ import annotations

import base64
import json
import threading
import uuid
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

HOLD_LIMIT = 30.0  # seconds a held request waits at most for its release (a bound, not a timing)


@dataclass
class Scripted:
    status: int
    body: object = ""  # dict → JSON, str → text
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Received:
    path: str
    form: dict[str, str]
    headers: dict[str, str]
    connection: int  # which TCP connection carried it (one number per connection)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive
    disable_nagle_algorithm = True  # answers go out at once, as a real server's do
    server: _Server
    timeout = HOLD_LIMIT  # an idle kept-alive connection is closed after this

    def log_message(self, format, *args):
        pass  # quiet

    def setup(self):
        super().setup()
        with self.server.fake.lock:
            self.server.fake.connection_count += 1
            self.connection_number = self.server.fake.connection_count

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length).decode()
        form = {key: values[-1] for key, values in parse_qs(raw, keep_blank_values=True).items()}
        received = Received(
            path=self.path,
            form=form,
            headers={key.lower(): value for key, value in self.headers.items()},
            connection=self.connection_number,
        )
        answer = self.server.fake.answer(received)
        if answer is None:  # held and abandoned: the client has long gone
            self.close_connection = True
            return
        body = answer.body
        if isinstance(body, dict):
            payload, content_type = json.dumps(body).encode(), "application/json"
        else:
            payload, content_type = str(body).encode(), "text/plain; charset=utf-8"
        try:
            self.send_response(answer.status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(payload)))
            for name, value in answer.headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(payload)
        except OSError:
            self.close_connection = True  # the client timed out and closed


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    fake: FakeSmsServer

    def handle_error(self, request, client_address):
        pass  # a client that went away is not a test failure


class FakeSmsServer:
    """Base: a provider subclass says how to authenticate, validate and answer."""

    def __init__(self, *, user: str, password: str) -> None:
        self.user = user
        self.password = password
        self.lock = threading.Lock()
        self.received: list[Received] = []
        self.accepted: list[Received] = []
        self.connection_count = 0
        self._script: deque[Scripted | str] = deque()
        self._rate_limit_after: int | None = None
        self.held = threading.Event()  # set when a held request has arrived
        self.release = threading.Event()  # the test sets it to let a held request answer
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.fake = self
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    # Lifecycle.
    def start(self) -> FakeSmsServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.release.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=HOLD_LIMIT)

    def __enter__(self) -> FakeSmsServer:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    # Scripting.
    def script(self, *answers: Scripted) -> None:
        with self.lock:
            self._script.extend(answers)

    def hold_next(self) -> None:
        with self.lock:
            self._script.append("hold")

    def rate_limit_after(self, accepted: int | None) -> None:
        with self.lock:
            self._rate_limit_after = accepted

    # Answering.
    def answer(self, received: Received) -> Scripted | None:
        with self.lock:
            self.received.append(received)
            scripted = self._script.popleft() if self._script else None
        if scripted == "hold":
            self.held.set()
            if not self.release.wait(timeout=HOLD_LIMIT):
                return None
            scripted = None
        if isinstance(scripted, Scripted):
            return scripted
        if not self._authorised(received.headers.get("authorization", "")):
            return self.unauthorised()
        with self.lock:
            if self._rate_limit_after is not None and len(self.accepted) >= self._rate_limit_after:
                return self.too_many()
        problem = self.validate(received)
        if problem is not None:
            return problem
        with self.lock:
            self.accepted.append(received)
        return self.created(received)

    def _authorised(self, header: str) -> bool:
        expected = base64.b64encode(f"{self.user}:{self.password}".encode()).decode()
        return header == f"Basic {expected}"

    def unauthorised(self) -> Scripted:
        raise NotImplementedError

    def too_many(self) -> Scripted:
        raise NotImplementedError

    def validate(self, received: Received) -> Scripted | None:
        raise NotImplementedError

    def created(self, received: Received) -> Scripted:
        raise NotImplementedError


def _e164(value: str) -> bool:
    return value.startswith("+") and value[1:].isdigit() and 8 <= len(value) <= 16


class Fake46elks(FakeSmsServer):
    """POST /a1/sms (the API base is {url}/a1): from, to, message, optional whendelivered."""

    api_path = "/a1"

    @property
    def api_url(self) -> str:
        return self.url + self.api_path

    def unauthorised(self) -> Scripted:
        return Scripted(401, "API access requires Basic HTTP authentication")

    def too_many(self) -> Scripted:
        return Scripted(429, "Too many requests", {"Retry-After": "1"})

    def validate(self, received: Received) -> Scripted | None:
        if received.path != f"{self.api_path}/sms":
            return Scripted(404, "Not found")
        for key in ("from", "to", "message"):
            if not received.form.get(key):
                return Scripted(400, f"Missing key {key}")
        if not _e164(received.form["to"]):
            return Scripted(400, "Invalid 'to' phone number")
        sender = received.form["from"]
        if not (_e164(sender) or (sender.isalnum() and 3 <= len(sender) <= 11)):
            return Scripted(400, "Invalid 'from' sender")
        return None

    def created(self, received: Received) -> Scripted:
        form = received.form
        return Scripted(
            200,
            {
                "status": "created",
                "direction": "outgoing",
                "from": form["from"],
                "to": form["to"],
                "message": form["message"],
                "created": "2026-12-01T08:00:00.000000",
                "parts": 1,
                "cost": 3500,
                "estimated_cost": 3500,
                "id": "s" + uuid.uuid4().hex,
            },
        )


class FakeTwilio(FakeSmsServer):
    """POST /2010-04-01/Accounts/{sid}/Messages.json: To, From or MessagingServiceSid, Body,
    optional StatusCallback; answers 201 with the message resource."""

    def __init__(self, *, user: str, password: str) -> None:
        super().__init__(user=user, password=password)

    @property
    def api_url(self) -> str:
        return self.url

    @staticmethod
    def error(status: int, code: int, message: str, headers=None) -> Scripted:
        return Scripted(
            status,
            {
                "code": code,
                "message": message,
                "more_info": f"https://www.twilio.com/docs/errors/{code}",
                "status": status,
            },
            headers or {},
        )

    def unauthorised(self) -> Scripted:
        return self.error(401, 20003, "Authenticate")

    def too_many(self) -> Scripted:
        return self.error(429, 20429, "Too Many Requests", {"Retry-After": "2"})

    def validate(self, received: Received) -> Scripted | None:
        if received.path != f"/2010-04-01/Accounts/{self.user}/Messages.json":
            return self.error(404, 20404, "The requested resource was not found")
        form = received.form
        if not form.get("To"):
            return self.error(400, 21604, "A 'To' phone number is required.")
        if not _e164(form["To"]):
            return self.error(
                400, 21211, f"The 'To' number {form['To']} is not a valid phone number."
            )
        if not form.get("From") and not form.get("MessagingServiceSid"):
            return self.error(400, 21603, "A 'From' phone number is required.")
        if not form.get("Body"):
            return self.error(400, 21602, "Message body is required.")
        return None

    def created(self, received: Received) -> Scripted:
        form = received.form
        sid = "SM" + uuid.uuid4().hex
        return Scripted(
            201,
            {
                "account_sid": self.user,
                "api_version": "2010-04-01",
                "body": form["Body"],
                "date_created": "Tue, 01 Dec 2026 08:00:00 +0000",
                "direction": "outbound-api",
                "error_code": None,
                "error_message": None,
                "from": form.get("From"),
                "messaging_service_sid": form.get("MessagingServiceSid"),
                "num_segments": "1",
                "sid": sid,
                "status": "queued",
                "to": form["To"],
                "uri": f"/2010-04-01/Accounts/{self.user}/Messages/{sid}.json",
            },
        )
