"""Forum categories, topics, posts, votes, accepted answers, flags and moderation."""
