"""Forum e-mail: replies, mentions and accepted answers a member has not yet been told about,
batched into one digest per member per FORUMS_DIGEST_MINUTES window. Transactional (separate
from marketing consent), through the outbox, in the member's language, with a one-click stop
link per kind (a signed token: no login needed, nothing else it can do).

The window is a number (minutes since 1970 // interval); a DigestSent row per member and window
is the unique key, inserted before the e-mail in the same transaction, so a task that runs twice
or two workers at once send one e-mail, not two."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from core.email import email_send_later
from forums.models import DigestSent, ForumProfile, Notification
from members.models import Member

SALT = "forums.stop-email"
KINDS: dict[str, str] = {
    Notification.Kind.REPLY: "email_on_reply",
    Notification.Kind.MENTION: "email_on_mention",
    Notification.Kind.ACCEPTED: "email_on_accepted",
}


def stop_token(*, member_id: int, kind: str) -> str:
    return signing.dumps({"m": member_id, "k": kind}, salt=SALT, compress=True)


def stop_token_read(token: str) -> tuple[int, str] | None:
    try:
        data = signing.loads(token, salt=SALT)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict) or data.get("k") not in KINDS:
        return None
    return int(data["m"]), data["k"]


def email_kind_stop(*, token: str) -> bool:
    """Turn off the kind of forum e-mail named by the token; False for a bad token."""
    found = stop_token_read(token)
    if found is None:
        return False
    member_id, kind = found
    ForumProfile.objects.filter(member_id=member_id).update(**{KINDS[kind]: False})
    return True


def digest_window(now: datetime.datetime) -> int:
    minutes = max(int(settings.FORUMS_DIGEST_MINUTES), 1)
    return int(now.timestamp() // 60) // minutes


def _site(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


def _lines(notifications: list[Notification]) -> list[str]:
    lines = []
    for note in notifications:
        topic = note.post.topic
        url = _site(reverse("forums:topic", args=[topic.pk]) + f"#post-{note.post_id}")
        if note.kind == Notification.Kind.MENTION:
            text = _("You were mentioned in “%(topic)s”") % {"topic": topic.title}
        elif note.kind == Notification.Kind.ACCEPTED:
            text = _("Your answer in “%(topic)s” was accepted") % {"topic": topic.title}
        else:
            text = _("New reply in “%(topic)s”") % {"topic": topic.title}
        lines.append(f"- {text}\n  {url}")
    return lines


def digest_send_for(*, member: Member, now: datetime.datetime | None = None) -> bool:
    """Send the member's waiting notifications as one e-mail, unless one went this window."""
    now = now or timezone.now()
    with transaction.atomic():
        waiting = list(
            Notification.objects.filter(member=member, emailed_at__isnull=True)
            .select_related("post__topic")
            .select_for_update(of=("self",), skip_locked=True)
            .order_by("created_at", "id")
        )
        if not waiting:
            return False
        try:
            with transaction.atomic():
                DigestSent.objects.create(
                    member=member, window=digest_window(now), notifications=len(waiting)
                )
        except IntegrityError:
            return False  # this window's e-mail has gone; the rest waits for the next
        Notification.objects.filter(pk__in=[n.pk for n in waiting]).update(emailed_at=now)
        profile = ForumProfile.objects.filter(member=member).first()
        wanted = [n for n in waiting if profile is None or getattr(profile, KINDS[n.kind], True)]
        if not wanted or not member.email or member.status != Member.Status.ACTIVE:
            return False
        kinds = sorted({n.kind for n in wanted})
        with translation.override(member.language):
            stops = [
                _("Stop e-mail about %(kind)s: %(url)s")
                % {
                    "kind": Notification.Kind(kind).label.lower(),
                    "url": _site(
                        reverse("forums:stop", args=[stop_token(member_id=member.pk, kind=kind)])
                    ),
                }
                for kind in kinds
            ]
            body = "\n\n".join(
                [
                    _("News from the forums:"),
                    "\n".join(_lines(wanted)),
                    "\n".join(stops),
                ]
            )
            message = EmailMessage(
                subject=_("%(count)d new in the forums") % {"count": len(wanted)},
                body=body + "\n",
                to=[member.email],
                headers={
                    "List-Unsubscribe": "<"
                    + _site(
                        reverse(
                            "forums:stop", args=[stop_token(member_id=member.pk, kind=kinds[0])]
                        )
                    )
                    + ">",
                    "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
                    "Auto-Submitted": "auto-generated",
                },
            )
        email_send_later(message)
    return True


def digests_send(*, now: datetime.datetime | None = None, batch: int = 500) -> int:
    """Every member with waiting notifications gets their digest (if none went this window).
    Returns how many e-mails were queued."""
    now = now or timezone.now()
    member_ids = list(
        Notification.objects.filter(emailed_at__isnull=True)
        .values_list("member_id", flat=True)
        .distinct()
        .order_by("member_id")[:batch]
    )
    sent = 0
    for member in Member.objects.filter(pk__in=member_ids).order_by("pk"):
        sent += digest_send_for(member=member, now=now)
    return sent
