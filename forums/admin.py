"""Admin for forums; models register here as they arrive."""
