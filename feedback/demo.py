"""Demo data for feedback: a club NPS survey shown in the portal with a few hundred answers over
the past year (a visible upward trend, detractors with follow-up cases, some open and overdue),
an after-purchase satisfaction survey, and the "did we fix it?" survey that closing a case sends.
Deterministic for a given seed; set-based inserts (bulk_create)."""

from __future__ import annotations

import datetime
import random

from django.utils import timezone

from core.markup import markdown_render
from core.seeding import SeedContext, demo_seeder
from feedback.models import Answer, CaseRoute, FollowUpCase, Invitation, Question, Survey
from feedback.models import Response as SurveyResponse
from rewards.models import PointsAccount

WHY_BETTER = [
    "Längre öppettider i butiken på helgerna.",
    "Kassakön var lång i lördags.",
    "Leveransen tog en vecka längre än utlovat.",
    "Jag hittade inte min storlek online.",
    "Poängen tar för lång tid att samla ihop.",
    "Returen var krånglig.",
    "The web shop logged me out during checkout.",
    "Fler klubbträffar utanför Stockholm, tack!",
]
CASE_NOTES = [
    "Ringde kunden, bad om ursäkt och bjöd på fri frakt nästa köp.",
    "Skickade ny vara med expressfrakt.",
    "Pratade med butikschefen om bemanningen på lördagar.",
    "Förklarade hur poängen fungerar och gav 200 bonuspoäng.",
]


def _surveys() -> tuple[Survey, Survey, Survey]:
    fixed = Survey.objects.create(
        title_sv="Gjorde vi rätt?",
        title_en="Did we put it right?",
        intro_sv="Du hade synpunkter nyligen. Vi vill veta om vi löste det.",
        intro_en="You told us about a problem recently. Did we solve it?",
        status=Survey.Status.OPEN,
    )
    Question.objects.create(
        survey=fixed,
        order=1,
        kind=Question.Kind.CSAT,
        text_sv="Hur nöjd är du med hur vi tog hand om det?",
        text_en="How satisfied are you with how we handled it?",
    )
    club = Survey.objects.create(
        title_sv="Vad tycker du om klubben?",
        title_en="What do you think of the club?",
        intro_sv="Två minuter som hjälper oss bli bättre. Du får 50 poäng som tack.",
        intro_en="Two minutes that help us get better. You get 50 points as thanks.",
        status=Survey.Status.OPEN,
        in_portal=True,
        earns_points=True,
        resurvey=fixed,
    )
    nps = Question.objects.create(
        survey=club,
        order=1,
        kind=Question.Kind.NPS,
        text_sv="Hur troligt är det att du skulle rekommendera klubben till en vän?",
        text_en="How likely are you to recommend the club to a friend?",
    )
    Question.objects.create(
        survey=club,
        order=2,
        kind=Question.Kind.TEXT,
        text_sv="Vad kan vi göra bättre?",
        text_en="What could we do better?",
        condition_question=nps,
        condition_min=0,
        condition_max=6,
    )
    Question.objects.create(
        survey=club,
        order=3,
        kind=Question.Kind.MULTIPLE,
        required=False,
        text_sv="Vilka förmåner uppskattar du mest?",
        text_en="Which benefits do you value most?",
        choices_sv="Poäng på köp\nKlubbträffar\nFri frakt\nFörtur till rea",
        choices_en="Points on purchases\nClub events\nFree delivery\nEarly access to sales",
    )
    after = Survey.objects.create(
        title_sv="Hur var ditt köp?",
        title_en="How was your purchase?",
        status=Survey.Status.OPEN,
        trigger=Survey.Trigger.AFTER_PURCHASE,
    )
    Question.objects.create(
        survey=after,
        order=1,
        kind=Question.Kind.CSAT,
        text_sv="Hur nöjd är du med ditt senaste köp?",
        text_en="How satisfied are you with your latest purchase?",
    )
    Question.objects.create(
        survey=after,
        order=2,
        kind=Question.Kind.TEXT,
        required=False,
        text_sv="Något du vill berätta?",
        text_en="Anything you would like to tell us?",
    )
    return club, after, fixed


def _score(rng: random.Random, months_ago: int) -> int:
    """NPS answers improving over the year: more promoters and fewer detractors lately."""
    improvement = (11 - months_ago) / 11  # 0 a year ago, 1 this month
    roll = rng.random()
    detractors = 0.34 - 0.22 * improvement
    promoters = 0.30 + 0.32 * improvement
    if roll < detractors:
        return rng.randint(0, 6)
    if roll < detractors + (1 - detractors - promoters):
        return rng.choice([7, 8])
    return rng.choice([9, 10])


@demo_seeder(order=80)
def seed_feedback(ctx: SeedContext) -> None:
    rng = random.Random(f"{ctx.seed}-feedback")  # noqa: S311 - demo data, not secrets
    club, after, _fixed = _surveys()
    questions = {q.kind: q for q in club.questions.all()}
    members = ctx.made.get("members", [])
    if not members:
        return
    staff = ctx.made.get("staff", {})
    store_owner = staff.get("store staff")
    stores = ctx.made.get("stores", [])
    if store_owner is not None and stores:
        CaseRoute.objects.create(store=stores[0], owner=store_owner)
    owners = {stores[0].pk: store_owner} if store_owner is not None and stores else {}

    count = min(max(250, len(members) // 3), 600)
    chosen = rng.sample(members[1:] or members, min(count, max(len(members) - 1, 1)))
    tiers = dict(
        PointsAccount.objects.filter(member_id__in=[m[0] for m in chosen]).values_list(
            "member_id", "tier__name_sv"
        )
    )
    now = timezone.now()
    invitations, responses, plans = [], [], []
    for member_id, joined_at, home_id, _has_login in chosen:
        months_ago = rng.randint(0, 11)
        when = now - datetime.timedelta(
            days=30 * months_ago + rng.randint(0, 27), hours=rng.randint(0, 10)
        )
        when = max(when, joined_at + datetime.timedelta(days=1))
        if when > now:
            continue
        skip = rng.random() < 0.04
        score = None if skip else _score(rng, months_ago)
        invitations.append(
            Invitation(
                survey=club,
                member_id=member_id,
                occasion="portal",
                channel=rng.choice(["portal", "email", "email"]),
                store_id=home_id,
                created_at=when - datetime.timedelta(hours=2),
                answered_at=when,
            )
        )
        plans.append((member_id, home_id, when, score))
    # Members who were asked by e-mail and did not answer (the response rate is not 100 %).
    unanswered = [
        Invitation(
            survey=club,
            member_id=member_id,
            occasion="email",
            channel="email",
            store_id=home_id,
            created_at=now - datetime.timedelta(days=rng.randint(1, 330)),
        )
        for member_id, _joined, home_id, _login in rng.sample(
            members[1:], min(len(members) - 1, count // 2)
        )
    ]
    Invitation.objects.bulk_create(invitations + unanswered)
    for invitation, (member_id, home_id, when, score) in zip(invitations, plans, strict=True):
        responses.append(
            SurveyResponse(
                survey=club,
                invitation=invitation,
                member_id=member_id,
                submitted_at=when,
                month=SurveyResponse.month_of(when),
                nps=score,
                tier=tiers.get(member_id) or "",
                store_id=home_id,
                channel=invitation.channel,
            )
        )
    SurveyResponse.objects.bulk_create(responses)
    answers, cases = [], []
    for response in responses:
        if response.nps is not None:
            answers.append(
                Answer(response=response, question=questions["nps"], number=response.nps)
            )
        answers.append(
            Answer(
                response=response,
                question=questions["multiple"],
                choices=sorted(rng.sample([1, 2, 3, 4], rng.randint(1, 2))),
            )
        )
        if response.nps is not None and response.nps <= 6:
            answers.append(
                Answer(response=response, question=questions["text"], text=rng.choice(WHY_BETTER))
            )
            age = (now - response.submitted_at).days
            due = response.submitted_at + datetime.timedelta(hours=48)
            closed = age > 10 and rng.random() < 0.9
            cases.append(
                FollowUpCase(
                    response=response,
                    member_id=response.member_id,
                    reason=FollowUpCase.Reason.DETRACTOR,
                    owner=owners.get(response.store_id),
                    status="closed" if closed else "open",
                    created_at=response.submitted_at,
                    due_at=due,
                    escalated_at=due if (not closed and due < now) else None,
                    closed_at=response.submitted_at + datetime.timedelta(days=1)
                    if closed
                    else None,
                    closed_by=store_owner if closed else None,
                    note=rng.choice(CASE_NOTES) if closed else "",
                )
            )
    Answer.objects.bulk_create(answers)
    FollowUpCase.objects.bulk_create(cases)

    # The demo member has a purchase survey waiting (the home card and My surveys show it).
    demo_member_id = members[0][0]
    Invitation.objects.create(
        survey=after, member_id=demo_member_id, occasion="demo", channel=Invitation.Channel.TRIGGER
    )
    open_cases = sum(1 for c in cases if c.status == "open")
    ctx.out(
        f"  3 surveys, {len(responses)} NPS answers over a year, "
        f"{len(cases)} follow-up cases ({open_cases} open)"
    )


IDEAS = [
    (
        "range",
        "Fler veganska alternativ i sortimentet",
        "Gärna både skor och väskor utan läder.",
        "planned",
        "Bra idé! Vi tar in en vegansk kollektion till våren.",
    ),
    (
        "service",
        "Längre öppettider på lördagar",
        "Butiken stänger 16, det är för tidigt.",
        "under_review",
        "",
    ),
    (
        "events",
        "Klubbträffar i Göteborg också",
        "Det mesta händer i Stockholm.",
        "in_progress",
        "Första träffen i Göteborg blir i mars.",
    ),
    ("club", "Kunna skänka poäng till en vän", "", "new", ""),
    (
        "range",
        "Reparationsservice för skor",
        "Hellre laga än köpa nytt.",
        "done",
        "Nu finns skomakare i tre av våra butiker!",
    ),
    (
        "service",
        "Cykelparkering vid butiken i Malmö",
        "",
        "declined",
        "Tyvärr äger vi inte marken utanför, men vi har frågat fastighetsägaren.",
    ),
    ("events", "Stickcafé en gång i månaden", "Vi är många som stickar!", "new", ""),
    (
        "club",
        "Donate points to charity every month",
        "An automatic monthly donation would be nice.",
        "new",
        "",
    ),
    ("range", "More sizes online", "Size 46 is always sold out.", "under_review", ""),
    ("service", "Kvällsöppet i Uppsala", "", "duplicate", ""),
]
COMMENTS = [
    "Håller med!",
    "Ja, gärna!",
    "Det vore toppen.",
    "+1 från mig",
    "Great idea.",
    "Instämmer helt.",
]
QUESTIONS = [
    (
        "points",
        "Poängen från mitt köp syns inte",
        "Jag handlade i butiken i lördags men fick inga poäng.",
        "Hej! Kassan var offline en stund i lördags. Vi har lagt till dina 499 poäng nu.",
    ),
    ("order", "Fel storlek levererad", "Jag beställde 38 men fick 40.", ""),
    (
        "membership",
        "Byta e-postadress",
        "Hur byter jag e-postadress på mitt konto?",
        "Du byter den under Profil → E-postadresser. Säg till om det krånglar!",
    ),
]


@demo_seeder(order=81)
def seed_board_and_inbox(ctx: SeedContext) -> None:
    """Suggestions with votes, comments and staff answers; conversations, some answered."""
    from feedback.models import (
        Conversation,
        ConversationMessage,
        SavedReply,
        Suggestion,
        SuggestionComment,
        SuggestionVote,
    )

    rng = random.Random(f"{ctx.seed}-board")  # noqa: S311 - demo data, not secrets
    members = ctx.made.get("members", [])
    if len(members) < 3:
        return
    staff = ctx.made.get("staff", {})
    answerer = staff.get("marketer") or staff.get("club admin")
    now = timezone.now()
    ids = [m[0] for m in members]
    suggestions = []
    for topic, title, body, status, answer in IDEAS:
        created = now - datetime.timedelta(days=rng.randint(2, 200))
        suggestions.append(
            Suggestion(
                author_id=rng.choice(ids[1:]),
                topic=topic,
                title=title,
                body=body,
                body_html=markdown_render(body),
                status=status,
                answer=answer,
                answer_html=markdown_render(answer),
                answered_by=answerer if answer else None,
                answered_at=created + datetime.timedelta(days=3) if answer else None,
                created_at=created,
                last_activity_at=created,
                points_awarded=status in ("planned", "in_progress", "done"),
                duplicate_of=None,
            )
        )
    # The duplicate points at the Saturday opening hours idea.
    Suggestion.objects.bulk_create(suggestions[:-1])
    suggestions[-1].duplicate_of = suggestions[1]
    suggestions[-1].answer = "Samma idé som ”Längre öppettider på lördagar”: rösta gärna där."
    suggestions[-1].answer_html = markdown_render(suggestions[-1].answer)
    suggestions[-1].save()
    votes, comments = [], []
    for suggestion in suggestions:
        if suggestion.status == "duplicate":
            continue
        count = min(len(ids) - 1, rng.randint(3, max(4, len(ids) // 6)))
        voters = [m for m in rng.sample(ids, count) if m != suggestion.author_id]
        for voter in voters:
            at = suggestion.created_at + (now - suggestion.created_at) * rng.random()
            votes.append(SuggestionVote(suggestion=suggestion, member_id=voter, created_at=at))
        for _n in range(rng.randint(0, 4)):
            text = rng.choice(COMMENTS)
            comments.append(
                SuggestionComment(
                    suggestion=suggestion,
                    author_id=rng.choice(ids),
                    body=text,
                    body_html=markdown_render(text),
                    created_at=suggestion.created_at + datetime.timedelta(days=rng.randint(0, 2)),
                )
            )
        suggestion.votes = len(voters)
        suggestion.comments = sum(1 for c in comments if c.suggestion is suggestion)
        suggestion.last_activity_at = max(
            [v.created_at for v in votes if v.suggestion is suggestion] or [suggestion.created_at]
        )
    SuggestionVote.objects.bulk_create(votes)
    SuggestionComment.objects.bulk_create(comments)
    Suggestion.objects.bulk_update(suggestions, ["votes", "comments", "last_activity_at"])

    SavedReply.objects.bulk_create(
        [
            SavedReply(
                title="Poäng saknas",
                body="Hej! Vi har tittat på ditt köp och lagt till poängen. Välkommen åter!",
            ),
            SavedReply(
                title="Byte och retur",
                body="Hej! Du kan byta varan i valfri butik inom 60 dagar med kvittot.",
            ),
        ]
    )
    store_staff = staff.get("store staff")
    for n, (topic, subject, body, reply) in enumerate(QUESTIONS):
        member_id = ids[0] if n == 0 else rng.choice(ids[1:])
        started = now - datetime.timedelta(days=rng.randint(1, 20), hours=rng.randint(0, 8))
        answered = started + datetime.timedelta(hours=rng.randint(2, 20)) if reply else None
        conversation = Conversation.objects.create(
            member_id=member_id,
            subject=subject,
            topic=topic,
            status="answered" if reply else "open",
            assigned_to=store_staff if reply else None,
            created_at=started,
            first_response_at=answered,
            last_message_at=answered or started,
        )
        ConversationMessage.objects.create(conversation=conversation, body=body, created_at=started)
        if reply:
            ConversationMessage.objects.create(
                conversation=conversation,
                body=reply,
                from_staff=True,
                author=store_staff,
                created_at=answered,
            )
    ctx.out(
        f"  {len(suggestions)} suggestions with {len(votes)} votes, {len(QUESTIONS)} conversations"
    )
