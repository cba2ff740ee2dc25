"""Admin for events: events with their attendee and waitlist lists, figures, CSV export,
invitations, staff registration and series; registrations, check-ins and invitations read-only
except through the services (promote, cancel)."""

from . import events, registrations  # noqa: F401 - registers the model admins
