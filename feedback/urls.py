from django.urls import path

from feedback.views import conversations, suggestions, surveys

app_name = "feedback"
urlpatterns = [
    path("contact/", conversations.contact, name="contact"),
    path("contact/<int:conversation_id>/", conversations.conversation, name="conversation"),
    path(
        "contact/<int:conversation_id>/reply/",
        conversations.conversation_reply_view,
        name="conversation-reply",
    ),
    path(
        "contact/<int:conversation_id>/files/<int:message_id>/",
        conversations.attachment,
        name="conversation-attachment",
    ),
    path("surveys/", surveys.surveys, name="surveys"),
    path("surveys/<int:survey_id>/start/", surveys.survey_start, name="survey-start"),
    path("s/<str:token>/", surveys.answer, name="answer"),
    path("suggestions/", suggestions.board, name="suggestions"),
    path("suggestions/new/", suggestions.suggestion_new, name="suggestion-new"),
    path("suggestions/<int:suggestion_id>/", suggestions.suggestion_detail, name="suggestion"),
    path(
        "suggestions/<int:suggestion_id>/vote/",
        suggestions.suggestion_vote_view,
        name="suggestion-vote",
    ),
    path(
        "suggestions/<int:suggestion_id>/comment/",
        suggestions.suggestion_comment_view,
        name="suggestion-comment",
    ),
]
