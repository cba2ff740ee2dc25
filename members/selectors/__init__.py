"""Reads about members, one module per area. Import from the module."""
