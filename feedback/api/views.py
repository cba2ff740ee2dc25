"""Surveys over the API, for a club's own app: read a survey and answer it with the personal
link's token (no login needed; a login that is another member's is refused)."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api.pagination import DefaultPagination
from core.idempotency import HEADER, idempotent
from feedback.models import Invitation, Question, Suggestion
from feedback.selectors.suggestions import SORTS, suggestion_get_for_member, suggestion_list
from feedback.services.suggestions import suggestion_create, suggestion_unvote, suggestion_vote
from feedback.services.surveys import survey_answer_submit, survey_questions
from feedback.tokens import invitation_from_token
from members.api.access import own_member

ERROR = inline_serializer(
    "FeedbackError",
    {
        "detail": serializers.CharField(),
        "code": serializers.CharField(required=False),
        "errors": serializers.DictField(
            child=serializers.ListField(child=serializers.CharField()), required=False
        ),
    },
)


def _invitation(token: str) -> Invitation:
    try:
        return invitation_from_token(token)
    except DjangoValidationError as error:
        raise NotFound(error.messages[0]) from None


class QuestionOutput(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=Question.Kind.choices)
    text = serializers.CharField()
    required = serializers.BooleanField()
    choices = serializers.ListField(child=serializers.CharField())
    minimum = serializers.SerializerMethodField()
    maximum = serializers.SerializerMethodField()
    shown_after = serializers.IntegerField(source="condition_question_id", allow_null=True)
    shown_from = serializers.IntegerField(source="condition_min", allow_null=True)
    shown_to = serializers.IntegerField(source="condition_max", allow_null=True)
    shown_for_choices = serializers.ListField(
        child=serializers.IntegerField(), source="condition_choices"
    )

    def get_minimum(self, question: Question) -> int | None:
        return Question.RANGES.get(question.kind, (None, None))[0]

    def get_maximum(self, question: Question) -> int | None:
        return Question.RANGES.get(question.kind, (None, None))[1]


class SurveyOutput(serializers.Serializer):
    id = serializers.IntegerField(source="survey.id")
    title = serializers.CharField(source="survey.title")
    intro = serializers.CharField(source="survey.intro")
    anonymous = serializers.BooleanField(source="survey.anonymous")
    answered = serializers.SerializerMethodField()
    questions = serializers.SerializerMethodField()

    def get_answered(self, invitation: Invitation) -> bool:
        return invitation.answered_at is not None

    def get_questions(self, invitation: Invitation) -> list[dict]:
        return QuestionOutput(survey_questions(invitation.survey), many=True).data


class SurveyByTokenApi(APIView):
    """GET: the survey a personal link's token opens, with its questions."""

    permission_classes = [AllowAny]

    @extend_schema(responses={200: SurveyOutput})
    def get(self, request: Request, token: str) -> Response:
        return Response(SurveyOutput(_invitation(token)).data)


class AnswerInput(serializers.Serializer):
    token = serializers.CharField(max_length=200)
    answers = serializers.DictField(
        child=serializers.JSONField(),
        help_text=_(
            "Question id → the answer: a number, a choice number (from 1), a list of choice "
            "numbers, or text."
        ),
    )


class AnswerSubmitApi(APIView):
    """POST: answer a survey with the personal link's token. One answer per invitation: a
    second submission gets 409. Refusals name the question (`errors`, keyed `q<id>`)."""

    permission_classes = [AllowAny]

    @extend_schema(
        request=AnswerInput,
        responses={
            201: inline_serializer("AnswerCreated", {"survey": serializers.IntegerField()}),
            409: ERROR,
            410: ERROR,
        },
    )
    def post(self, request: Request) -> Response:
        data = AnswerInput(data=request.data)
        data.is_valid(raise_exception=True)
        invitation = _invitation(data.validated_data["token"])
        raw = {}
        for key, value in data.validated_data["answers"].items():
            try:
                raw[int(str(key).removeprefix("q"))] = value
            except ValueError:
                return Response(
                    {"detail": _("Answers are keyed by question id."), "code": "invalid"},
                    status=status.HTTP_400_BAD_REQUEST,
                )
        user = request.user if request.user.is_authenticated else None
        try:
            survey_answer_submit(invitation=invitation, raw=raw, user=user)
        except DjangoValidationError as error:
            code = getattr(error, "code", None) or "invalid"
            statuses = {
                "already_answered": status.HTTP_409_CONFLICT,
                "not_yours": status.HTTP_403_FORBIDDEN,
                "closed": status.HTTP_410_GONE,
                "bad_token": status.HTTP_404_NOT_FOUND,
            }
            body: dict = {"detail": error.messages[0], "code": code}
            if hasattr(error, "error_dict"):
                body["errors"] = {
                    k: [m for e in v for m in e.messages] for k, v in error.error_dict.items()
                }
                body["detail"] = _("Some answers need another look.")
            return Response(body, status=statuses.get(code, status.HTTP_400_BAD_REQUEST))
        return Response({"survey": invitation.survey_id}, status=status.HTTP_201_CREATED)


# --- Suggestions ---------------------------------------------------------------------------------


class SuggestionOutput(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    topic = serializers.ChoiceField(choices=Suggestion.Topic.choices)
    body_html = serializers.CharField()
    status = serializers.ChoiceField(choices=Suggestion.Status.choices)
    answer_html = serializers.CharField()
    votes = serializers.IntegerField()
    comments = serializers.IntegerField()
    voted = serializers.BooleanField()
    mine = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField()

    def get_mine(self, suggestion: Suggestion) -> bool:
        member = self.context.get("member")
        return member is not None and suggestion.author_id == member.pk


def _refusal(error: DjangoValidationError) -> Response:
    body: dict = {"detail": error.messages[0], "code": getattr(error, "code", None) or "invalid"}
    if hasattr(error, "error_dict"):
        body["errors"] = {
            k: [m for e in v for m in e.messages] for k, v in error.error_dict.items()
        }
    return Response(body, status=status.HTTP_400_BAD_REQUEST)


class SuggestionListCreateApi(APIView):
    """GET: the suggestions board (sorted, filtered, paginated). POST: propose an idea
    (Idempotency-Key honoured)."""

    class SuggestionFilter(serializers.Serializer):
        sort = serializers.ChoiceField(choices=SORTS, required=False, default="trending")
        status = serializers.ChoiceField(choices=Suggestion.Status.choices, required=False)
        topic = serializers.ChoiceField(choices=Suggestion.Topic.choices, required=False)
        q = serializers.CharField(required=False, max_length=100)

    class SuggestionInput(serializers.Serializer):
        title = serializers.CharField(max_length=140)
        topic = serializers.ChoiceField(choices=Suggestion.Topic.choices)
        body = serializers.CharField(required=False, allow_blank=True, max_length=10_000)

    @extend_schema(
        parameters=[SuggestionFilter, OpenApiParameter("page", int)],
        responses=SuggestionOutput(many=True),
    )
    def get(self, request: Request) -> Response:
        filters = self.SuggestionFilter(data=request.query_params)
        filters.is_valid(raise_exception=True)
        data = filters.validated_data
        member = own_member(request)
        rows = suggestion_list(
            member=member,
            sort=data.get("sort", "trending"),
            status=data.get("status", ""),
            topic=data.get("topic", ""),
            search=data.get("q", "").strip(),
        )
        paginator = DefaultPagination()
        page = paginator.paginate_queryset(rows, request, view=self)
        return paginator.get_paginated_response(
            SuggestionOutput(page, many=True, context={"member": member}).data
        )

    @extend_schema(
        request=SuggestionInput,
        parameters=[OpenApiParameter(HEADER, str, OpenApiParameter.HEADER, required=False)],
        responses={201: SuggestionOutput},
    )
    @idempotent
    def post(self, request: Request) -> Response:
        data = self.SuggestionInput(data=request.data)
        data.is_valid(raise_exception=True)
        member = own_member(request)
        try:
            suggestion = suggestion_create(member=member, **data.validated_data)
        except DjangoValidationError as error:
            return _refusal(error)
        suggestion.voted = False  # type: ignore[attr-defined]
        return Response(
            SuggestionOutput(suggestion, context={"member": member}).data,
            status=status.HTTP_201_CREATED,
        )


class SuggestionVoteApi(APIView):
    """POST: vote for a suggestion; DELETE: take the vote back (Idempotency-Key honoured)."""

    @extend_schema(
        request=None,
        parameters=[OpenApiParameter(HEADER, str, OpenApiParameter.HEADER, required=False)],
        responses={200: SuggestionOutput},
    )
    @idempotent
    def post(self, request: Request, suggestion_id: int) -> Response:
        member = own_member(request)
        suggestion = suggestion_get_for_member(suggestion_id=suggestion_id, member=member)
        try:
            suggestion = suggestion_vote(member=member, suggestion=suggestion)
        except DjangoValidationError as error:
            return _refusal(error)
        suggestion.voted = True  # type: ignore[attr-defined]
        return Response(SuggestionOutput(suggestion, context={"member": member}).data)

    @extend_schema(request=None, responses={200: SuggestionOutput})
    @idempotent
    def delete(self, request: Request, suggestion_id: int) -> Response:
        member = own_member(request)
        suggestion = suggestion_get_for_member(suggestion_id=suggestion_id, member=member)
        suggestion = suggestion_unvote(member=member, suggestion=suggestion)
        suggestion.voted = False  # type: ignore[attr-defined]
        return Response(SuggestionOutput(suggestion, context={"member": member}).data)
