"""Writes about members, one module per area (users, profiles, consent, purchases, scores,
segments, gdpr, imports). Import from the module: `from members.services.consent import ...`."""
