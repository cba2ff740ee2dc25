"""Feedback's models: surveys and follow-up cases, the suggestions board, conversations."""

from .conversations import Conversation, ConversationMessage, SavedReply
from .suggestions import Suggestion, SuggestionComment, SuggestionVote
from .surveys import (
    Answer,
    CaseRoute,
    FollowUpCase,
    Invitation,
    Question,
    Response,
    Survey,
)

__all__ = [
    "Answer",
    "CaseRoute",
    "Conversation",
    "ConversationMessage",
    "FollowUpCase",
    "Invitation",
    "Question",
    "Response",
    "SavedReply",
    "Suggestion",
    "SuggestionComment",
    "SuggestionVote",
    "Survey",
]
