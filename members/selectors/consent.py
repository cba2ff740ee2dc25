"""Reads of the consent log: the current state of a purpose is its latest event."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Q, Subquery
from django.utils import timezone

from members.models import ConsentEvent, ConsentPurpose, ConsentText, Member


def _latest_event_pk(purpose: str, member_ref: OuterRef) -> Subquery:
    return Subquery(
        ConsentEvent.objects.filter(member=member_ref, purpose=purpose)
        .order_by("-created_at", "-id")
        .values("pk")[:1]
    )


def consent_granted_q(purpose: str) -> Q:
    """Members whose latest event for `purpose` is a grant, as one EXISTS over the log (usable in
    any Member query: `Member.objects.filter(consent_granted_q("email"))`; `~` negates it
    correctly, members without any event included)."""
    if purpose not in ConsentPurpose.values:
        raise ValueError(f"Unknown consent purpose {purpose!r}.")
    latest = _latest_event_pk(purpose, OuterRef(OuterRef("pk")))
    return Q(Exists(ConsentEvent.objects.filter(pk=latest, granted=True)))


def consent_current(*, member: Member) -> dict[str, bool]:
    """{purpose: granted} for every purpose, from the latest event of each (one query)."""
    annotations = {
        f"granted_{purpose}": Exists(
            ConsentEvent.objects.filter(
                pk=_latest_event_pk(purpose, OuterRef(OuterRef("pk"))), granted=True
            )
        )
        for purpose in ConsentPurpose.values
    }
    row = Member.objects.filter(pk=member.pk).values(**annotations).first() or {}
    return {purpose: bool(row.get(f"granted_{purpose}")) for purpose in ConsentPurpose.values}


def consent_text_current(*, purpose: str) -> ConsentText | None:
    """The newest published text of `purpose`: what a member agrees to when granting it now."""
    return (
        ConsentText.objects.filter(purpose=purpose, published_at__lte=timezone.now())
        .order_by("-version")
        .first()
    )


@dataclass(frozen=True)
class ConsentChoice:
    """One row of the preference centre."""

    purpose: str
    label: str
    text: ConsentText | None
    granted: bool
    latest: ConsentEvent | None

    def text_for(self, language: str) -> str:
        if self.text is None:
            return ""
        return self.text.text_sv if language == "sv" else self.text.text_en

    @property
    def granted_text_is_current(self) -> bool:
        """False when the member agreed to an older wording than the one shown now."""
        return not (
            self.granted
            and self.latest is not None
            and self.text is not None
            and self.latest.text_id != self.text.pk
        )


def consent_choices(*, member: Member) -> list[ConsentChoice]:
    """Every purpose with its current text, the member's state and latest change (2 queries)."""
    now = timezone.now()
    texts: dict[str, ConsentText] = {}
    for text in ConsentText.objects.filter(published_at__lte=now).order_by("purpose", "-version"):
        texts.setdefault(text.purpose, text)
    latest: dict[str, ConsentEvent] = {}
    events = ConsentEvent.objects.filter(
        pk__in=[
            Subquery(
                ConsentEvent.objects.filter(member=member, purpose=purpose)
                .order_by("-created_at", "-id")
                .values("pk")[:1]
            )
            for purpose in ConsentPurpose.values
        ]
    ).select_related("text")
    for event in events:
        latest[event.purpose] = event
    return [
        ConsentChoice(
            purpose=purpose,
            label=str(ConsentPurpose(purpose).label),
            text=texts.get(purpose),
            granted=bool(latest.get(purpose) and latest[purpose].granted),
            latest=latest.get(purpose),
        )
        for purpose in ConsentPurpose.values
    ]
