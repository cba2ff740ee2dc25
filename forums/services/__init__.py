"""The one write path of the forums: posting, answers and votes, flags and moderation,
profiles and trust, notifications."""
