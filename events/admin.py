"""Admin for events; models register here as they arrive."""
