"""Club events, invitations, registrations, waitlist and check-in."""
