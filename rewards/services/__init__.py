"""Writes about rewards, one module per area: ledger (award, debit, reverse, adjust, expire),
earning (points for purchases), tiers (upgrade and yearly review), redemptions (redeem, cancel)."""
