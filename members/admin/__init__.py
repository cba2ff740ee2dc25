"""Admin for members, one module per area; each is imported here to register."""

from . import users  # noqa: F401
