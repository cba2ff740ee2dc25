"""Benefit choice: members of a tier pick N benefits per period from the menu.

`benefit_choices_set` locks the member's PointsAccount row first, so two submissions at once are
served one after the other and can never exceed the picks. Once a member has chosen for a period,
the choice stands until the next period starts; only unused picks may still be filled.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from members.models import Member
from rewards.models import Benefit, BenefitChoice, TierBenefitAllowance, benefit_period

from .ledger import account_lock

MAX_IDS = 100


def _clean_ids(benefit_ids: Any) -> list[int]:
    """Distinct positive integer ids, in the order given; ValidationError for anything else."""
    if isinstance(benefit_ids, (str, bytes)) or not isinstance(benefit_ids, Iterable):
        raise ValidationError(_("Choose benefits from the list."), code="invalid_benefit")
    ids: list[int] = []
    for raw in benefit_ids:
        if isinstance(raw, bool):
            raise ValidationError(_("Choose benefits from the list."), code="invalid_benefit")
        if isinstance(raw, int):
            value = raw
        elif isinstance(raw, str) and raw.strip().isdigit() and len(raw.strip()) <= 18:
            value = int(raw.strip())
        else:
            raise ValidationError(_("Choose benefits from the list."), code="invalid_benefit")
        if value <= 0:
            raise ValidationError(_("Choose benefits from the list."), code="invalid_benefit")
        if value not in ids:
            ids.append(value)
        if len(ids) > MAX_IDS:
            raise ValidationError(_("Choose benefits from the list."), code="invalid_benefit")
    return ids


@transaction.atomic
def benefit_choices_set(
    *, member: Member, benefit_ids: Any, today: datetime.date | None = None
) -> list[BenefitChoice]:
    """Record the benefits `member` picks for the current period and return all their choices
    for it. Raises ValidationError (writing nothing) when the tier grants no or fewer picks, a
    benefit is not on the member's menu, or the member tries to change a choice before the next
    period (adding to unused picks is allowed; sending the same choice again changes nothing)."""
    if not isinstance(member, Member) or member.pk is None:
        raise TypeError("member must be a saved members.Member.")
    if member.status == Member.Status.ERASED:
        raise ValidationError(_("This member has been erased."), code="member_erased")
    ids = _clean_ids(benefit_ids)
    today = today or timezone.localdate()
    period = benefit_period(today=today)

    account = account_lock(member=member)
    assert account is not None
    tier = account.tier
    picks = TierBenefitAllowance.picks_for(tier)
    if picks == 0:
        raise ValidationError(_("Your tier does not include benefits to choose."), code="no_picks")
    if not ids:
        raise ValidationError(_("Choose at least one benefit."), code="nothing_chosen")
    if len(ids) > picks:
        raise ValidationError(
            ngettext(
                "You can choose %(picks)d benefit.",
                "You can choose at most %(picks)d benefits.",
                picks,
            )
            % {"picks": picks},
            code="too_many",
        )
    menu = {benefit.pk: benefit for benefit in Benefit.objects.for_tier(tier).filter(pk__in=ids)}
    if len(menu) != len(ids):
        raise ValidationError(
            _("One of the benefits you chose is not available in your tier. Please choose again."),
            code="not_available",
        )

    existing = list(
        BenefitChoice.objects.filter(member=member, period_start=period.start).select_related(
            "benefit"
        )
    )
    chosen = {choice.benefit_id for choice in existing}
    wanted = set(ids)
    if existing and not chosen <= wanted:
        raise ValidationError(
            _("You have already chosen for this period. You can change your choice from %(date)s.")
            % {"date": formats.date_format(period.next_start, "DATE_FORMAT")},
            code="locked",
        )
    new = [benefit_id for benefit_id in ids if benefit_id not in chosen]
    now = timezone.now()
    BenefitChoice.objects.bulk_create(
        [
            BenefitChoice(
                member=member, benefit=menu[benefit_id], period_start=period.start, created_at=now
            )
            for benefit_id in new
        ]
    )
    return list(
        BenefitChoice.objects.filter(member=member, period_start=period.start)
        .select_related("benefit")
        .order_by("benefit__order", "benefit_id")
    )
