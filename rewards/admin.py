"""Admin for rewards; models register here as they arrive."""
