from django.urls import path

from .views import AnswerSubmitApi, SurveyByTokenApi

urlpatterns = [
    path("feedback/surveys/<str:token>/", SurveyByTokenApi.as_view(), name="api-feedback-survey"),
    path("feedback/answers/", AnswerSubmitApi.as_view(), name="api-feedback-answer"),
]
