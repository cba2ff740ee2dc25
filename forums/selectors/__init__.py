"""Reads of the forums, with the access checks (`access`) every page and API path goes through."""
