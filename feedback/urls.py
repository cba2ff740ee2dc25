from django.urls import path

from feedback.views import surveys

app_name = "feedback"
urlpatterns = [
    path("surveys/", surveys.surveys, name="surveys"),
    path("surveys/<int:survey_id>/start/", surveys.survey_start, name="survey-start"),
    path("s/<str:token>/", surveys.answer, name="answer"),
]
