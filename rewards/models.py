"""Points ledger, earning rules, tiers, the choose-your-own catalogue, redemptions, badges and
challenges."""
