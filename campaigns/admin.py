"""Admin for campaigns; models register here as they arrive."""
