"""Feedback in the back office: surveys with their questions and results, answers (read-only),
follow-up cases with their close step, and the case owner rules."""

from . import cases, conversations, suggestions, surveys  # noqa: F401
