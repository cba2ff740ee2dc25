"""SMS backends, shaped like Django's e-mail backends: SMS_BACKEND names the class.

FileSmsBackend writes each message to a file (the embedded default), LocMemSmsBackend keeps them
in `campaigns.sms.outbox` (tests), ConsoleSmsBackend prints them. Provider backends over HTTP
subclass BaseSmsBackend.
"""

from __future__ import annotations

import json
import sys
import threading
import uuid
from abc import ABC, abstractmethod
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from django.conf import settings
from django.utils.module_loading import import_string


@dataclass
class SmsMessage:
    to: str  # E.164, e.g. +46701234567
    body: str
    sender: str = ""
    reference: str = field(default_factory=lambda: uuid.uuid4().hex)

    def __post_init__(self) -> None:
        if not self.to or not self.to.startswith("+") or not self.to[1:].isdigit():
            raise ValueError(
                f"An SMS needs a phone number in E.164 form (+46...), not {self.to!r}."
            )
        if not self.body:
            raise ValueError("An SMS needs a body.")
        self.sender = self.sender or settings.SMS_SENDER


class BaseSmsBackend(ABC):
    @abstractmethod
    def send_messages(self, messages: list[SmsMessage]) -> int:
        """Send the messages; return how many were sent."""


class FileSmsBackend(BaseSmsBackend):
    def __init__(self, path: str | Path | None = None) -> None:
        self.path = Path(path or settings.SMS_FILE_PATH)

    def send_messages(self, messages: list[SmsMessage]) -> int:
        self.path.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
        for message in messages:
            target = self.path / f"{stamp}-{message.reference}.json"
            target.write_text(json.dumps(asdict(message), ensure_ascii=False, indent=2))
        return len(messages)


outbox: list[SmsMessage] = []
_outbox_lock = threading.Lock()


class LocMemSmsBackend(BaseSmsBackend):
    def send_messages(self, messages: list[SmsMessage]) -> int:
        with _outbox_lock:
            outbox.extend(messages)
        return len(messages)


class ConsoleSmsBackend(BaseSmsBackend):
    def send_messages(self, messages: list[SmsMessage]) -> int:
        for message in messages:
            sys.stdout.write(f"SMS from {message.sender} to {message.to}: {message.body}\n")
        return len(messages)


def get_sms_backend(path: str | None = None) -> BaseSmsBackend:
    return import_string(path or settings.SMS_BACKEND)()


def send_sms(*, to: str, body: str, sender: str = "") -> int:
    return get_sms_backend().send_messages([SmsMessage(to=to, body=body, sender=sender)])
