"""Admin for feedback; models register here as they arrive."""
