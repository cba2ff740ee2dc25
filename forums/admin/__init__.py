"""Forums admin: categories (staff edit them here), topics, posts and forum profiles (read here,
changed through the moderation services), and the moderation queue."""

from . import forum  # noqa: F401
