"""Surveys (NPS, CSAT, custom), the suggestions board and member-staff conversations."""
