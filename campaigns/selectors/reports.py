"""The campaign report for the staff pages (computed in campaigns.results, which the A/B winner
decision shares)."""

from campaigns.results import GroupResult, Uplift, campaign_progress, campaign_report, uplift

__all__ = ["GroupResult", "Uplift", "campaign_progress", "campaign_report", "uplift"]
