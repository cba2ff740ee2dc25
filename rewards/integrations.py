"""What rewards adds to the members app through its registries, so members never imports rewards:

- segment fields: tier, points balance, points earned (in the last N days or ever), redeemed
  reward;
- member 360 timeline entries: points entries, redemptions and tier changes;
- the GDPR data export: points, redemptions, tier changes, benefit choices, badges, completed
  challenges and the leaderboard name; erasure removes the member from the leaderboard;
- cards on the member home (core.home): points and tier, the newest voucher, rewards the member
  can afford, open challenges;
- the points beside each purchase on the member's purchases page, and what an activity (a
  consent, a complete profile) is worth before the member does it (members.hooks).

`register()` is called once from RewardsConfig.ready().
"""

from __future__ import annotations

import datetime
from typing import Any

from django.db.models import Exists, F, IntegerField, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from members.gdpr import gdpr_eraser_register, gdpr_exporter_register, gdpr_model_covered
from members.models import Member
from members.segments import (
    BOOLEAN,
    CHOICE,
    MULTICHOICE,
    NUMBER,
    SegmentField,
    compare_q,
    holds,
    segment_field_register,
)
from members.timeline import (
    TimelineEntry,
    admin_url,
    member360_panel_register,
    timeline_provider_register,
)
from rewards.models import (
    BenefitChoice,
    ChallengeCompletion,
    LeaderboardOptIn,
    MemberBadge,
    PointsEntry,
    Redemption,
    Reward,
    Tier,
    TierChange,
)
from rewards.services.gamification import leaderboard_leave

POINTS = _("Points and tiers")


# --- Segment fields ------------------------------------------------------------------------------


def _tiers():
    return [(str(tier.pk), tier.name) for tier in Tier.objects.order_by("order")]


def _tier(operator: str, value: Any, params: dict[str, Any]) -> Q:
    """In one of the tiers (members without an account or a tier are in none of them)."""
    q = Q(points_account__tier_id__in=[int(v) for v in value])
    return q if operator == "in" else ~q


def _balance(operator: str, value: Any, params: dict[str, Any]) -> Q:
    q = compare_q("points_account__balance", operator, value)
    if holds(operator, value, 0):
        q |= Q(points_account__isnull=True)
    return q


def _earned(operator: str, value: Any, params: dict[str, Any]) -> Q:
    """Points earned (earn entries, before any redemption) in the window: one correlated
    subquery, 0 for members who earned nothing."""
    entries = PointsEntry.objects.filter(
        member=OuterRef("pk"), kind=PointsEntry.Kind.EARN, created_at__lte=params["now"]
    )
    days = params.get("days")
    if days:
        entries = entries.filter(created_at__gte=params["now"] - datetime.timedelta(days=days))
    total = Subquery(
        entries.order_by().values("member").annotate(total=Sum("amount")).values("total")[:1],
        output_field=IntegerField(),
    )
    member_ids = Member.objects.alias(
        earned=Coalesce(total, Value(0), output_field=IntegerField())
    ).filter(compare_q("earned", operator, value))
    return Q(pk__in=member_ids.values("pk"))


def _rewards():
    return [(str(reward.pk), reward.name) for reward in Reward.objects.order_by("order", "name_sv")]


def _redeemed(operator: str, value: Any, params: dict[str, Any]) -> Q:
    ids = [int(v) for v in value]

    def having(reward_ids: list[int]) -> Q:
        return Q(
            Exists(
                Redemption.objects.filter(member=OuterRef("pk"), reward_id__in=reward_ids).exclude(
                    status=Redemption.Status.CANCELLED
                )
            )
        )

    if operator == "all":
        q = Q()
        for reward_id in ids:
            q &= having([reward_id])
        return q
    return having(ids) if operator == "any" else ~having(ids)


def _has_debt(operator: str, value: Any, params: dict[str, Any]) -> Q:
    q = Q(points_account__debt__gt=0)
    return q if value else ~q


def register_segment_fields() -> None:
    register = segment_field_register
    register(SegmentField("tier", _("tier"), POINTS, CHOICE, _tier, choices=_tiers))
    register(SegmentField("points_balance", _("points balance"), POINTS, NUMBER, _balance))
    register(
        SegmentField(
            "points_earned",
            _("points earned"),
            POINTS,
            NUMBER,
            _earned,
            params={"days": int},
        )
    )
    register(
        SegmentField(
            "redeemed", _("redeemed reward"), POINTS, MULTICHOICE, _redeemed, choices=_rewards
        )
    )
    register(
        SegmentField("points_debt", _("owes points after a return"), POINTS, BOOLEAN, _has_debt)
    )


# --- Timeline ------------------------------------------------------------------------------------


def points_timeline(*, member: Member, limit: int) -> list[TimelineEntry]:
    entries = PointsEntry.objects.filter(member=member).order_by("-created_at", "-id")[:limit]
    return [
        TimelineEntry(
            at=entry.created_at,
            kind="points",
            title=_("%(points)+d points: %(reason)s")
            % {"points": entry.amount, "reason": entry.reason_display},
            detail=entry.get_kind_display(),
            url=admin_url("admin:rewards_pointsentry_change", entry.pk),
        )
        for entry in entries
    ]


def redemptions_timeline(*, member: Member, limit: int) -> list[TimelineEntry]:
    redemptions = (
        Redemption.objects.filter(member=member)
        .select_related("reward")
        .order_by("-created_at", "-id")[:limit]
    )
    return [
        TimelineEntry(
            at=redemption.created_at,
            kind="redemption",
            title=_("Redeemed %(reward)s for %(points)s points")
            % {"reward": redemption.reward.name, "points": redemption.points},
            detail=redemption.get_status_display(),
            url=admin_url("admin:rewards_redemption_change", redemption.pk),
        )
        for redemption in redemptions
    ]


def tier_timeline(*, member: Member, limit: int) -> list[TimelineEntry]:
    changes = (
        TierChange.objects.filter(member=member)
        .select_related("from_tier", "to_tier")
        .order_by("-created_at", "-id")[:limit]
    )
    return [
        TimelineEntry(
            at=change.created_at,
            kind="tier",
            title=_("Tier changed from %(old)s to %(new)s")
            % {
                "old": change.from_tier.name if change.from_tier else "–",
                "new": change.to_tier.name if change.to_tier else "–",
            },
            detail=change.get_reason_display(),
        )
        for change in changes
    ]


# --- GDPR export ---------------------------------------------------------------------------------


def points_export(*, member: Member) -> list[dict[str, Any]]:
    return [
        {
            "when": entry.created_at.isoformat(),
            "kind": entry.kind,
            "points": entry.amount,
            "reason": str(entry.reason_display),
            "cause": entry.cause_label,
        }
        for entry in PointsEntry.objects.filter(member=member).order_by("created_at", "id")
    ]


def redemptions_export(*, member: Member) -> list[dict[str, Any]]:
    return [
        {
            "when": redemption.created_at.isoformat(),
            "reward": redemption.reward.name,
            "points": redemption.points,
            "status": redemption.status,
            "voucher_code": redemption.voucher_code,
            "voucher_valid_until": (
                redemption.voucher_valid_until.isoformat() if redemption.voucher_valid_until else ""
            ),
        }
        for redemption in Redemption.objects.filter(member=member)
        .select_related("reward")
        .order_by("created_at", "id")
    ]


def tier_changes_export(*, member: Member) -> list[dict[str, Any]]:
    return [
        {
            "when": change.created_at.isoformat(),
            "from": change.from_tier.name if change.from_tier else "",
            "to": change.to_tier.name if change.to_tier else "",
            "reason": change.reason,
        }
        for change in TierChange.objects.filter(member=member)
        .select_related("from_tier", "to_tier")
        .order_by("created_at", "id")
    ]


def benefit_choices_export(*, member: Member) -> list[dict[str, Any]]:
    return [
        {
            "period_start": choice.period_start.isoformat(),
            "benefit": choice.benefit.name,
            "chosen": choice.created_at.isoformat(),
        }
        for choice in BenefitChoice.objects.filter(member=member)
        .select_related("benefit")
        .order_by("period_start", "id")
    ]


def badges_export(*, member: Member) -> list[dict[str, Any]]:
    return [
        {"badge": award.badge.name, "awarded": award.awarded_at.isoformat()}
        for award in MemberBadge.objects.filter(member=member)
        .select_related("badge")
        .order_by("awarded_at", "id")
    ]


def challenges_export(*, member: Member) -> list[dict[str, Any]]:
    return [
        {"challenge": done.challenge.name, "completed": done.completed_at.isoformat()}
        for done in ChallengeCompletion.objects.filter(member=member)
        .select_related("challenge")
        .order_by("completed_at", "id")
    ]


def leaderboard_export(*, member: Member) -> list[dict[str, Any]]:
    return [
        {"display_name": optin.display_name, "joined": optin.created_at.isoformat()}
        for optin in LeaderboardOptIn.objects.filter(member=member)
    ]


# How erasing a member treats each rewards model (members.gdpr; checked by a model walk).
_LEDGER = "the points ledger, kept for the books and pseudonymous once the member is erased"
GDPR_COVERAGE = {
    "rewards.PointsAccount": f"{_LEDGER}: the balance and tier",
    "rewards.PointsEntry": f"{_LEDGER}: points, dates and reasons about points (reason_params "
    "hold amounts, currencies and bonus names); the actor is staff",
    "rewards.PointsLot": f"{_LEDGER}: lots and their expiry",
    "rewards.TierChange": f"{_LEDGER}: tier moves",
    "rewards.Reward": "the catalogue's pictures, no member's data",
    "rewards.Badge": "the badges' pictures, no member's data",
    "rewards.Redemption": f"{_LEDGER}: what was redeemed and its voucher code (no person's "
    "data); cancelled_by is staff",
    "rewards.BenefitChoice": "which benefit the member id chose, pseudonymous once erased",
    "rewards.MemberBadge": "which badges the member id earned, pseudonymous once erased",
    "rewards.ChallengeCompletion": "which challenges the member id completed, pseudonymous once "
    "erased",
    "rewards.BulkAdjustment": "a staff bulk adjustment of a segment: the actor is staff, the "
    "counts are figures",
    "rewards.LeaderboardOptIn": "deleted by the eraser rewards.services.gamification."
    "leaderboard_leave (the display name is personal)",
}


# --- The back office (core.dashboard): groups, tiles and the till ---------------------------------

BACKOFFICE_MODELS = {
    "loyalty": [
        "rewards.PointsAccount",
        "rewards.Redemption",
        "rewards.Reward",
        "rewards.Tier",
        "rewards.EarningRule",
        "rewards.BonusPeriod",
        "rewards.ActivityRule",
        "rewards.Benefit",
        "rewards.TierBenefitAllowance",
        "rewards.BenefitChoice",
        "rewards.PointsEntry",
        "rewards.TierChange",
        "rewards.BulkAdjustment",
    ],
    "club_life": [
        "rewards.Badge",
        "rewards.MemberBadge",
        "rewards.Challenge",
        "rewards.ChallengeCompletion",
        "rewards.LeaderboardOptIn",
    ],
    "settings": ["rewards.PointsLot"],
}
LEDGER_PERMISSION = "rewards.view_pointsentry"  # marketers and club admins, not the till


def _till_view(request, *args, **kwargs):
    from rewards.admin.till import till_view  # the admin layer, loaded when first used

    return till_view(request, *args, **kwargs)


AUDIT_ACTIONS = {
    "points.adjust": _("Points adjusted"),
    "points.bulk_adjust": _("Bulk points adjustment started"),
    "points.bulk_adjust_done": _("Bulk points adjustment finished"),
    "redemption.cancel": _("Redemption cancelled"),
    "redemption.fulfil": _("Redemption fulfilled"),
    "redemption.use_at_till": _("Voucher used at the till"),
    "purchase.register_at_till": _("Purchase registered at the till"),
}


def register_backoffice() -> None:
    from core.audit import audit_action_register
    from core.dashboard import (
        backoffice_model_register,
        backoffice_page_register,
        dashboard_tile_register,
    )
    from rewards import backoffice

    for action, label in AUDIT_ACTIONS.items():
        audit_action_register(action, label)
    for group, models in BACKOFFICE_MODELS.items():
        for order, model in enumerate(models):
            backoffice_model_register(model=model, group=group, order=10 * (order + 1))
    backoffice_page_register(
        key="till",
        title=_("Till"),
        group="members",
        view=_till_view,
        permission="rewards.use_till",
        order=1,
        landing=True,
    )
    member360_panel_register(
        key="points",
        template="admin/rewards/member360_points.html",
        context=backoffice.member360_points_panel,
        order=10,
    )
    for order, (key, title, group, data) in enumerate(backoffice.TILES):
        dashboard_tile_register(
            key=key,
            title=title,
            group=group,
            data=data,
            permission=LEDGER_PERMISSION,
            order=10 * (order + 1),
        )


def register() -> None:
    register_backoffice()
    register_segment_fields()
    timeline_provider_register(points_timeline)
    timeline_provider_register(redemptions_timeline)
    timeline_provider_register(tier_timeline)
    gdpr_exporter_register(
        "points", points_export, _("every change of your points: when, how many and why.")
    )
    gdpr_exporter_register(
        "redemptions",
        redemptions_export,
        _("the rewards you chose: when, for how many points, the code and its status."),
    )
    gdpr_exporter_register(
        "tier_changes", tier_changes_export, _("when your tier changed, from which to which.")
    )
    gdpr_exporter_register(
        "benefit_choices", benefit_choices_export, _("the tier benefits you chose, per period.")
    )
    gdpr_exporter_register("badges", badges_export, _("the badges you earned, and when."))
    gdpr_exporter_register(
        "challenges", challenges_export, _("the challenges you completed, and when.")
    )
    gdpr_exporter_register(
        "leaderboard",
        leaderboard_export,
        _("the name you show on the leaderboard, if you joined it."),
    )
    gdpr_eraser_register(leaderboard_leave)
    for label, how in GDPR_COVERAGE.items():
        gdpr_model_covered(label, how)
    register_home_cards()
    register_purchase_points()
    register_activity_points_preview()


# --- Cards on the member home (issue 11) ----------------------------------------------------------

HOME_REWARDS = 2
HOME_CHALLENGES = 3


def _summary(request: Any, member: Member):
    """points_summary once per request, shared by the cards that need it."""
    from rewards.selectors.ledger import points_summary

    cached = getattr(request, "_rewards_points_summary", None)
    if cached is None or cached[0] != member.pk:
        cached = (member.pk, points_summary(member=member))
        request._rewards_points_summary = cached
    return cached[1]


def home_points(request: Any, member: Member) -> dict[str, Any] | None:
    """Balance, tier with progress to the next, and the points that expire soonest."""
    summary = _summary(request, member)
    return {"summary": summary, "expiring": summary.expiring[:1]}


def home_voucher(request: Any, member: Member) -> dict[str, Any] | None:
    """The newest voucher still to use, with its code as a barcode."""
    redemption = (
        Redemption.objects.filter(member=member, status=Redemption.Status.PENDING)
        .select_related("reward", "pickup_store")
        .order_by("-created_at", "-id")
        .first()
    )
    return {"redemption": redemption} if redemption else None


def home_rewards(request: Any, member: Member) -> dict[str, Any] | None:
    """A couple of rewards the member can afford now (none: a nudge to the catalogue)."""
    from rewards.selectors.catalogue import reward_list_for_member

    summary = _summary(request, member)
    rewards = list(reward_list_for_member(member=member, affordable_with=summary.balance))
    choosable = [
        reward
        for reward in rewards
        if (reward.stock is None or reward.stock > 0)
        and not (reward.per_member_limit and reward.my_redemptions >= reward.per_member_limit)
    ][:HOME_REWARDS]
    return {"rewards": choosable, "summary": summary}


def home_challenges(request: Any, member: Member) -> dict[str, Any] | None:
    """Challenges open now that the member has not completed yet."""
    from rewards.selectors.gamification import challenges_for_member

    open_ones = [s for s in challenges_for_member(member=member) if s.completed_at is None]
    return {"challenges": open_ones[:HOME_CHALLENGES]} if open_ones else None


def register_home_cards() -> None:
    from core.home import home_card_register

    home_card_register(
        key="rewards.points", template="rewards/home/_points.html", context=home_points, order=20
    )
    home_card_register(
        key="rewards.voucher",
        template="rewards/home/_voucher.html",
        context=home_voucher,
        order=30,
    )
    home_card_register(
        key="rewards.rewards",
        template="rewards/home/_rewards.html",
        context=home_rewards,
        order=40,
    )
    home_card_register(
        key="rewards.challenges",
        template="rewards/home/_challenges.html",
        context=home_challenges,
        order=50,
    )


def purchase_points(*, purchase_ids: list[int]) -> dict[int, int]:
    """Points each purchase earned, or each return took back (one query)."""
    from django.contrib.contenttypes.models import ContentType

    from members.models import Purchase

    rows = (
        PointsEntry.objects.filter(
            cause_type=ContentType.objects.get_for_model(Purchase), cause_id__in=purchase_ids
        )
        .values("cause_id")
        .annotate(total=Sum(F("amount") - F("debt_change")))
        .order_by()
    )
    # amount - debt_change: what the purchase earned or its return took back, whether it went to
    # the balance or to paying off (or into) a debt.
    return {row["cause_id"]: row["total"] for row in rows}


def register_purchase_points() -> None:
    from members.hooks import purchase_points_register

    purchase_points_register(purchase_points)


def activity_points_now(*, activity: str) -> int | None:
    """The points of the activity rule in force now (None without one)."""
    from django.utils import timezone

    from rewards.services.activities import activity_rule_for

    rule = activity_rule_for(activity=activity, when=timezone.now())
    return rule.points if rule else None


def register_activity_points_preview() -> None:
    from members.hooks import activity_points_preview_register

    activity_points_preview_register(activity_points_now)
