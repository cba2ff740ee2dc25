from django.urls import path

from .views import AnswerSubmitApi, SuggestionListCreateApi, SuggestionVoteApi, SurveyByTokenApi

urlpatterns = [
    path("feedback/surveys/<str:token>/", SurveyByTokenApi.as_view(), name="api-feedback-survey"),
    path("feedback/answers/", AnswerSubmitApi.as_view(), name="api-feedback-answer"),
    path(
        "feedback/suggestions/",
        SuggestionListCreateApi.as_view(),
        name="api-feedback-suggestions",
    ),
    path(
        "feedback/suggestions/<int:suggestion_id>/vote/",
        SuggestionVoteApi.as_view(),
        name="api-feedback-suggestion-vote",
    ),
]
