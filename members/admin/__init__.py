"""Admin for members, one module per area; each is imported here to register."""
# ruff: noqa: I001  (one line per area module, so that each area adds its own line)

from . import users  # noqa: F401
from . import profiles  # noqa: F401
from . import purchases  # noqa: F401
from . import imports  # noqa: F401
from . import gdpr  # noqa: F401
from . import segments  # noqa: F401
from . import club_pages  # noqa: F401
