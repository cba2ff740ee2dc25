"""Reads about rewards: ledger (balance, history, expiring lots), catalogue, tiers, reconcile."""
