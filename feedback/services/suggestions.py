"""The suggestions board's one write path.

- `suggestion_create` / `suggestion_comment`: text checked (a title, limits, one-line title
  without control characters), rendered through the shared sanitiser at save.
- `suggestion_vote` / `suggestion_unvote`: one vote per member and suggestion (unique), never on
  one's own, never on a closed one; the count is kept under the suggestion's row lock.
- `suggestion_set_status`: staff set a status with a public answer; everyone who voted (and the
  author) gets one e-mail in their language; the first time a suggestion is adopted (planned, in
  progress, done) its author earns points, once.
- `suggestion_merge`: a duplicate's votes move to the original (members who had voted for both,
  or who wrote the original, count once), the duplicate is closed pointing at it.
- `suggestion_hide` / `suggestion_restore`: moderation, audited; the author is told why.
"""

from __future__ import annotations

import unicodedata

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.db.models import Count, F
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.email import email_send_later
from core.markup import markdown_render
from core.services import audit_log
from feedback.models import Suggestion, SuggestionComment, SuggestionVote
from feedback.services.errors import field_error
from members.models import Member
from rewards.services.activities import points_earn_for_activity

TITLE_MAX = 140
BODY_MAX = 10_000
COMMENT_MAX = 5_000


def _one_line(value: str, *, field: str, label) -> str:
    value = (value or "").strip()
    if not value:
        raise field_error(field, _("Write a %(label)s.") % {"label": label}, "required")
    if any(unicodedata.category(c) in ("Cc", "Cf") for c in value):
        raise field_error(
            field,
            _("The %(label)s contains invisible or control characters.") % {"label": label},
            "invalid",
        )
    if not any(c.isalnum() for c in value):
        raise field_error(
            field, _("The %(label)s needs some letters or digits.") % {"label": label}, "invalid"
        )
    if len(value) > TITLE_MAX:
        raise field_error(
            field,
            _("Keep the %(label)s under %(max)d characters.") % {"label": label, "max": TITLE_MAX},
            "too_long",
        )
    return value


def _text(value: str, *, field: str, limit: int, required: bool) -> str:
    value = (value or "").replace("\x00", "").strip()
    if required and not value:
        raise field_error(field, _("Write something first."), "required")
    if len(value) > limit:
        raise field_error(
            field,
            _("Keep the text under %(max)d characters (it has %(count)d).")
            % {"max": limit, "count": len(value)},
            "too_long",
        )
    return value


def _check_member(member: Member) -> None:
    if member.erased_at is not None or member.status != Member.Status.ACTIVE:
        raise ValidationError(_("Your membership is not active."), code="inactive")


@transaction.atomic
def suggestion_create(*, member: Member, topic: str, title: str, body: str = "") -> Suggestion:
    _check_member(member)
    if topic not in Suggestion.Topic.values:
        raise field_error("topic", _("Choose what the suggestion is about."), "invalid")
    title = _one_line(title, field="title", label=_("title"))
    body = _text(body, field="body", limit=BODY_MAX, required=False)
    return Suggestion.objects.create(
        author=member, topic=topic, title=title, body=body, body_html=markdown_render(body)
    )


def _locked(suggestion: Suggestion) -> Suggestion:
    return Suggestion.objects.select_for_update().get(pk=suggestion.pk)


@transaction.atomic
def suggestion_vote(*, member: Member, suggestion: Suggestion) -> Suggestion:
    _check_member(member)
    suggestion = _locked(suggestion)
    if suggestion.hidden:
        raise ValidationError(_("This suggestion is not shown any more."), code="hidden")
    if suggestion.author_id == member.pk:
        raise ValidationError(_("You cannot vote for your own suggestion."), code="own")
    if not suggestion.is_open_for_votes:
        raise ValidationError(_("This suggestion is closed for votes."), code="closed")
    try:
        with transaction.atomic():
            SuggestionVote.objects.create(suggestion=suggestion, member=member)
    except IntegrityError:
        raise ValidationError(_("You have already voted for this."), code="already_voted") from None
    Suggestion.objects.filter(pk=suggestion.pk).update(
        votes=F("votes") + 1, last_activity_at=timezone.now()
    )
    suggestion.refresh_from_db()
    return suggestion


@transaction.atomic
def suggestion_unvote(*, member: Member, suggestion: Suggestion) -> Suggestion:
    suggestion = _locked(suggestion)
    deleted, _rows = SuggestionVote.objects.filter(suggestion=suggestion, member=member).delete()
    if deleted:
        Suggestion.objects.filter(pk=suggestion.pk).update(votes=F("votes") - 1)
        suggestion.refresh_from_db()
    return suggestion


@transaction.atomic
def suggestion_comment(
    *, suggestion: Suggestion, body: str, member: Member | None = None, staff=None
) -> SuggestionComment:
    if member is not None:
        _check_member(member)
    suggestion = _locked(suggestion)
    if suggestion.hidden and staff is None:
        raise ValidationError(_("This suggestion is not shown any more."), code="hidden")
    body = _text(body, field="body", limit=COMMENT_MAX, required=True)
    comment = SuggestionComment.objects.create(
        suggestion=suggestion,
        author=member,
        staff_author=staff,
        body=body,
        body_html=markdown_render(body),
    )
    Suggestion.objects.filter(pk=suggestion.pk).update(
        comments=F("comments") + 1, last_activity_at=comment.created_at
    )
    return comment


def _tell_voters(suggestion: Suggestion) -> int:
    """One e-mail to each voter and the author about the new status, in their language."""
    people = Member.objects.filter(erased_at__isnull=True, status=Member.Status.ACTIVE).exclude(
        email=""
    )
    voters = people.filter(suggestion_votes__suggestion=suggestion)
    author = people.filter(pk=suggestion.author_id or 0)
    sent = 0
    url = settings.SITE_URL.rstrip("/") + reverse("feedback:suggestion", args=[suggestion.pk])
    for member in (voters | author).distinct().only("email", "language", "first_name"):
        with translation.override(member.language):
            status = str(Suggestion.Status(suggestion.status).label)
            lines = [
                gettext("Hi %(name)s,") % {"name": member.first_name},
                gettext('The suggestion "%(title)s" is now: %(status)s.')
                % {"title": suggestion.title, "status": status},
            ]
            if suggestion.answer:
                lines.append(gettext("The club's answer:") + "\n" + suggestion.answer)
            lines.append(url)
            email_send_later(
                EmailMessage(
                    subject=gettext("%(status)s: %(title)s")
                    % {"status": status, "title": suggestion.title},
                    body="\n\n".join(lines) + "\n",
                    to=[member.email],
                )
            )
        sent += 1
    return sent


@transaction.atomic
def suggestion_set_status(
    *,
    suggestion: Suggestion,
    status: str,
    answer: str,
    actor,
    duplicate_of: Suggestion | None = None,
) -> Suggestion:
    suggestion = _locked(suggestion)
    if status not in Suggestion.Status.values:
        raise field_error("status", _("Choose a status."), "invalid")
    if status == Suggestion.Status.DUPLICATE:
        if duplicate_of is None:
            raise ValidationError({"duplicate_of": _("Say which suggestion this one duplicates.")})
        return suggestion_merge(
            duplicate=suggestion, original=duplicate_of, actor=actor, answer=answer
        )
    answer = _text(answer, field="answer", limit=BODY_MAX, required=False)
    changed = status != suggestion.status or answer != suggestion.answer
    suggestion.status = status
    suggestion.answer = answer
    suggestion.answer_html = markdown_render(answer)
    suggestion.answered_by = actor
    suggestion.answered_at = timezone.now()
    fields = ["status", "answer", "answer_html", "answered_by", "answered_at"]
    author = suggestion.author
    if status in Suggestion.ADOPTED and not suggestion.points_awarded and author is not None:
        points_earn_for_activity(
            member=author,
            activity="suggestion_adopted",
            cause_key=f"suggestion:{suggestion.pk}",
        )
        suggestion.points_awarded = True
        fields.append("points_awarded")
    suggestion.save(update_fields=fields)
    audit_log(
        action="feedback.suggestion_status",
        actor=actor,
        target=suggestion,
        details={"status": status},
    )
    if changed:
        _tell_voters(suggestion)
    return suggestion


@transaction.atomic
def suggestion_merge(
    *, duplicate: Suggestion, original: Suggestion, actor, answer: str = ""
) -> Suggestion:
    if duplicate.pk == original.pk:
        raise ValidationError({"duplicate_of": _("A suggestion cannot duplicate itself.")})
    # Lock both in id order, so two merges never wait on each other the other way round.
    first, second = sorted([duplicate.pk, original.pk])
    locked = {
        s.pk: s
        for s in Suggestion.objects.select_for_update()
        .filter(pk__in=[first, second])
        .order_by("pk")
    }
    duplicate, original = locked[duplicate.pk], locked[original.pk]
    if original.status == Suggestion.Status.DUPLICATE:
        raise ValidationError({"duplicate_of": _("That suggestion is itself a duplicate.")})
    already = SuggestionVote.objects.filter(suggestion=original).values("member_id")
    moving = SuggestionVote.objects.filter(suggestion=duplicate).exclude(member_id__in=already)
    if original.author_id:
        moving = moving.exclude(member_id=original.author_id)
    moved = list(moving.values_list("member_id", "created_at"))
    SuggestionVote.objects.bulk_create(
        SuggestionVote(suggestion=original, member_id=m, created_at=at) for m, at in moved
    )
    SuggestionVote.objects.filter(suggestion=duplicate).delete()
    # The duplicate's author supports the original too (unless they wrote it).
    if duplicate.author_id and duplicate.author_id != original.author_id:
        SuggestionVote.objects.get_or_create(suggestion=original, member_id=duplicate.author_id)
    original.votes = SuggestionVote.objects.filter(suggestion=original).count()
    original.last_activity_at = timezone.now()
    original.save(update_fields=["votes", "last_activity_at"])
    duplicate.status = Suggestion.Status.DUPLICATE
    duplicate.duplicate_of = original
    duplicate.votes = 0
    duplicate.answer = answer or gettext("Merged with another suggestion with the same idea.")
    duplicate.answer_html = markdown_render(duplicate.answer)
    duplicate.answered_by = actor
    duplicate.answered_at = timezone.now()
    duplicate.save(
        update_fields=[
            "status",
            "duplicate_of",
            "votes",
            "answer",
            "answer_html",
            "answered_by",
            "answered_at",
        ]
    )
    audit_log(
        action="feedback.suggestion_merge",
        actor=actor,
        target=duplicate,
        details={"into": original.pk, "votes_moved": len(moved)},
    )
    return duplicate


@transaction.atomic
def suggestion_hide(*, suggestion: Suggestion, actor, reason: str) -> Suggestion:
    suggestion = _locked(suggestion)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why it is hidden: the author is told.")})
    suggestion.hidden = True
    suggestion.hidden_reason = reason[:200]
    suggestion.save(update_fields=["hidden", "hidden_reason"])
    audit_log(
        action="feedback.suggestion_hide",
        actor=actor,
        target=suggestion,
        details={"reason": reason},
    )
    author = suggestion.author
    if author is not None and author.email and author.erased_at is None:
        with translation.override(author.language):
            email_send_later(
                EmailMessage(
                    subject=gettext("Your suggestion is hidden: %(title)s")
                    % {"title": suggestion.title},
                    body=gettext(
                        'Hi %(name)s,\n\nA moderator has hidden your suggestion "%(title)s" '
                        "from the board. The reason:\n\n%(reason)s\n"
                    )
                    % {"name": author.first_name, "title": suggestion.title, "reason": reason},
                    to=[author.email],
                )
            )
    return suggestion


@transaction.atomic
def suggestion_restore(*, suggestion: Suggestion, actor) -> Suggestion:
    suggestion = _locked(suggestion)
    suggestion.hidden = False
    suggestion.hidden_reason = ""
    suggestion.save(update_fields=["hidden", "hidden_reason"])
    audit_log(action="feedback.suggestion_restore", actor=actor, target=suggestion)
    return suggestion


def suggestion_counts_reconcile() -> list[str]:
    """Suggestions whose stored vote or comment count differs from the rows (for a check)."""
    wrong = []
    rows = Suggestion.objects.annotate(
        real_votes=Count("vote_set", distinct=True),
        real_comments=Count("comment_set", distinct=True),
    )
    for s in rows:
        if s.votes != s.real_votes or s.comments != s.real_comments:
            wrong.append(
                f"#{s.pk}: votes {s.votes} (rows {s.real_votes}), "
                f"comments {s.comments} (rows {s.real_comments})"
            )
    return wrong
