"""A member's scores in words, for staff on the member 360 page: what R, F, M, the lifetime
value and the churn risk say about this member (see members.services.scores for the maths)."""

from __future__ import annotations

from decimal import Decimal

from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from members.models import MemberScore

LOW_RISK = Decimal("0.3")
HIGH_RISK = Decimal("0.7")


def _kr(amount: Decimal) -> str:
    return _("%(amount)s kr") % {"amount": number_format(round(amount), 0, force_grouping=True)}


def member_score_explained(score: MemberScore | None) -> list[str]:
    """Sentences, most telling first; an empty list when the scores are not computed yet."""
    if score is None:
        return []
    if not score.purchase_count:
        return [_("Has not bought anything yet, so there is nothing to score.")]
    lines = []
    days = score.days_since_last_purchase
    if days is not None:
        lines.append(
            ngettext(
                "Last bought %(days)d day ago.",
                "Last bought %(days)d days ago.",
                days,
            )
            % {"days": days}
        )
    if score.recency_score:
        lines.append(
            _(
                "Among the members who bought in the last 12 months this member is in fifth "
                "%(r)d of 5 for how recently, %(f)d for how often and %(m)d for how much "
                "(5 is the best fifth)."
            )
            % {"r": score.recency_score, "f": score.frequency_score, "m": score.monetary_score}
        )
    else:
        lines.append(_("No purchase in the last 12 months: not ranked against active buyers."))
    lines.append(
        ngettext(
            "%(count)d purchase in the last 12 months for %(spend)s (%(total)s in all, "
            "%(average)s per purchase on average).",
            "%(count)d purchases in the last 12 months for %(spend)s (%(total)s in all, "
            "%(average)s per purchase on average).",
            score.purchase_count_12m,
        )
        % {
            "count": score.purchase_count_12m,
            "spend": _kr(score.spend_12m),
            "total": _kr(score.total_spend),
            "average": _kr(score.average_order_value),
        }
    )
    risk = score.churn_risk
    if risk < LOW_RISK:
        lines.append(_("Low risk of leaving: buys about as often as usual."))
    elif risk < HIGH_RISK:
        lines.append(
            _("Some risk of leaving: the next purchase is overdue compared with their rhythm.")
        )
    else:
        lines.append(
            _(
                "High risk of leaving: much longer than usual since the last purchase. A good "
                "moment for a personal offer."
            )
        )
    lines.append(
        _("Expected to spend about %(value)s in the next 12 months if they stay.")
        % {"value": _kr(score.clv_predicted_12m)}
    )
    channel = {
        MemberScore.PreferredChannel.ONLINE.value: _("Buys mostly online."),
        MemberScore.PreferredChannel.STORE.value: _("Buys mostly in store."),
        MemberScore.PreferredChannel.BOTH.value: _("Buys both online and in store."),
    }.get(str(score.preferred_channel))
    if channel:
        lines.append(channel)
    return lines
