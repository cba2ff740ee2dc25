"""Hooks other apps register to react to members' events, so members never imports them.

`purchase_recorded_register(func)`: `func(purchase=purchase)` is called for every purchase or
return that members.services.purchases.purchase_record stores, inside the same transaction
(a hook that raises rolls the purchase back). A purchase sent again with the same
(source, external_id) is not stored again and runs no hook. Register in AppConfig.ready().
`purchase_recorded_register(func, batch=batch_func)` adds a set-based variant:
`batch_func(purchases=[...])` is called once for the purchases a batch
(members.services.purchases.purchases_ingest) stores together, in their order, and must give
each the same result as `func` one by one; hooks without one are called per purchase.

`member_activity_register(func)`: `func(member=..., activity=..., cause_key=...)` is called when
a member does something the club may reward, inside the transaction that records it. Members
reports today: "profile_completed" (cause_key "profile", when member_update makes the profile
complete, see members.services.profiles.member_profile_is_complete) and "consent_given"
(cause_key "consent:<purpose>", when a marketing purpose, e-mail or SMS, is granted).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from members.models import Member, Purchase

_purchase_recorded: list[Callable[..., object]] = []
_purchase_recorded_batch: dict[Callable[..., object], Callable[..., object]] = {}


def purchase_recorded_register(
    func: Callable[..., object], *, batch: Callable[..., object] | None = None
) -> Callable[..., object]:
    """Call `func(purchase=...)` for every newly recorded purchase (and `batch(purchases=...)`
    instead for a batch, when given). Registering the same function twice has no effect.
    Returns `func`, so it may be used as a decorator."""
    if func not in _purchase_recorded:
        _purchase_recorded.append(func)
    if batch is not None:
        _purchase_recorded_batch[func] = batch
    return func


def purchase_recorded_hooks() -> tuple[Callable[..., object], ...]:
    return tuple(_purchase_recorded)


def purchase_recorded_run(*, purchase: Purchase) -> None:
    """Run every registered hook for a purchase just stored (called by purchase_record)."""
    for func in tuple(_purchase_recorded):
        func(purchase=purchase)


def purchases_recorded_run(*, purchases: Sequence[Purchase]) -> None:
    """Run every registered hook for purchases a batch has just stored, in their order: a
    hook's batch variant once, any other hook once per purchase."""
    if not purchases:
        return
    for func in tuple(_purchase_recorded):
        batch = _purchase_recorded_batch.get(func)
        if batch is not None:
            batch(purchases=purchases)
        else:
            for purchase in purchases:
                func(purchase=purchase)


_member_activity: list[Callable[..., object]] = []


def member_activity_register(func: Callable[..., object]) -> Callable[..., object]:
    """Call `func(member=..., activity=..., cause_key=...)` for every activity members reports.
    Registering the same function twice has no effect. Returns `func`."""
    if func not in _member_activity:
        _member_activity.append(func)
    return func


def member_activity_run(*, member: Member, activity: str, cause_key: str) -> None:
    """Run every registered activity hook (called by members services inside their
    transaction)."""
    for func in tuple(_member_activity):
        func(member=member, activity=activity, cause_key=cause_key)


# --- Points shown beside purchases (portal issue 11) ----------------------------------------------

_purchase_points: list[Callable[..., dict[int, int]]] = []


def purchase_points_register(func: Callable[..., dict[int, int]]) -> Callable[..., dict[int, int]]:
    """Register `func(purchase_ids=[...]) -> {purchase_id: points}`: the points each purchase
    earned (positive) or took back (negative, a return), for the member's purchases page. It must
    answer in one query whatever the number of ids. Registering twice has no effect."""
    if func not in _purchase_points:
        _purchase_points.append(func)
    return func


def purchase_points_for(*, purchase_ids: list[int]) -> dict[int, int]:
    """The points of each purchase, summed over every registered provider (absent: none)."""
    totals: dict[int, int] = {}
    if not purchase_ids:
        return totals
    for func in tuple(_purchase_points):
        for purchase_id, points in func(purchase_ids=purchase_ids).items():
            totals[purchase_id] = totals.get(purchase_id, 0) + points
    return totals


# --- What an activity is worth, shown before the member does it (portal issue 11) ---------------

_activity_points: list[Callable[..., int | None]] = []


def activity_points_preview_register(
    func: Callable[..., int | None],
) -> Callable[..., int | None]:
    """Register `func(activity=...) -> points or None`: the points the rule in force gives for an
    activity ("consent_given", "profile_completed"), so members' pages can state the bonus next
    to what earns it. Registering twice has no effect."""
    if func not in _activity_points:
        _activity_points.append(func)
    return func


def activity_points_preview(*, activity: str) -> int | None:
    """The points an activity gives now (the first provider that knows), or None."""
    for func in tuple(_activity_points):
        points = func(activity=activity)
        if points:
            return points
    return None
